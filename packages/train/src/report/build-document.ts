/**
 * Lays out the report's text from a RunReport: the answer, Table 1, the per-kind split, training
 * cost, the figures (by relative path), and the context (dataset, config, command, machine, notes).
 */
import { PROBABILITY_EPSILON } from '../metrics/bce.js';
import { STUDY_THRESHOLD } from '../metrics/types.js';
import { writeAnswer } from './answer.js';
import type { ReportBlock, ReportDocument, ReportSection } from './document.js';
import { formatCount, formatSeconds } from './format.js';
import { budgetSentence, selectionCriterion } from './criterion.js';
import { costTable, decoderWidthNote, hasSeeds, headsTable, holdoutTable, kindTable, resultsTable } from './tables.js';
import type { RunReport } from './types.js';

/** Relative paths of the figures written beside the report (absent: not written). */
export interface ReportFigures {
  curves?: string;
  seeds?: string;
  examples?: string;
  attention?: string;
}

/** The report's sections, in order. */
export function buildReportDocument(report: RunReport, figures: ReportFigures): ReportDocument {
  const { dataset } = report;
  const kinds = dataset.kinds ? ` (${Object.entries(dataset.kinds).map(([k, n]) => `${k} ${formatCount(n)}`).join(', ')})` : '';
  const seedText = hasSeeds(report)
    ? ` Fusion heads: the mean over ${Math.max(...report.fusions.map((f) => f.seeds?.length ?? 1))} training seeds of each metric; sd (seeds): the standard deviation over seeds of the mean IoU; ± s.e.: the root mean square of the seeds' eval-sample standard errors.`
    : ' Single seed: each head trained once; the spread over training seeds is not measured.';
  const sections: ReportSection[] = [
    { title: 'Answer', blocks: [{ type: 'paragraph', text: writeAnswer(report) }] },
    {
      title: 'Table 1: segmentation metrics',
      blocks: [{
        type: 'table',
        caption: `Eval set: ${formatCount(dataset.eval)} samples. Fusion heads and trivial baselines on the same samples, at probability thresholds 0.5 and ${STUDY_THRESHOLD} (the study's mask threshold, on sigmoid(logit); a pixel is foreground when its probability is strictly greater). mIoU: mean over samples of the foreground IoU, an empty prediction on an empty mask counting 1; ± s.e.: its standard error. oIoU: total intersection / total union. Dice: mean per sample. P@k: share of samples whose IoU exceeds k. BCE: nats per pixel (baseline probabilities clamped to [${PROBABILITY_EPSILON}, 1 - ${PROBABILITY_EPSILON}], so a hard 0 costs ${(-Math.log(PROBABILITY_EPSILON)).toFixed(1)} per missed pixel). Pred. fg: share of pixels predicted foreground. Bold: best in its column within a threshold. A head marked (diverged) is not ranked.${seedText}`,
        table: resultsTable(report),
      }],
    },
  ];
  const heads = headsTable(report);
  if (heads) {
    sections.splice(2, 0, {
      title: 'How the heads differ',
      blocks: [{
        type: 'table',
        caption: `From each built head (headTraits). Head parameters: the fusion head alone; model parameters: encoders, head and decoder. Coordinates: x, y channels joined to the feature map. Residual image path: the decoder input has a per-pixel term of the image features that does not pass through the text. Attention: which side queries the other. ${decoderWidthNote(report) ?? ''}`,
        table: heads,
      }],
    });
  }
  const byKind = kindTable(report);
  sections.push({
    title: 'Mean IoU by instruction kind',
    blocks: byKind ? [{ type: 'table', caption: `Mean IoU over the eval samples of each instruction kind (n: samples of that kind)${hasSeeds(report) ? '; fusion heads: mean ± sd over seeds' : ''}.`, table: byKind }]
      : [{ type: 'paragraph', text: 'The eval set carries no instruction kinds.' }],
  });
  const held = holdoutTable(report);
  if (held) {
    sections.push({
      title: 'Seen and unseen combinations',
      blocks: [{ type: 'table', caption: `Mean IoU on the eval samples whose target combination (colour-shape pair, relation or position phrase) occurs in training (seen) and on those held out of every training and validation target (unseen)${hasSeeds(report) ? '; mean ± sd over seeds' : ''}. The unseen samples have another mix of instruction kinds (a held-out relation occurs only in relational instructions, a held-out position phrase only in position ones), so the comparison uses the seen score reweighted to the unseen samples' kind counts (kind-matched). A head that generalises keeps its kind-matched seen score on unseen combinations; one tied to the combinations it saw drops.`, table: held }],
    });
  }
  sections.push({
    title: 'Training cost',
    blocks: [{
      type: 'table',
      caption: [
        'Samples seen: training samples per seed.',
        budgetSentence(report.fusions),
        'Kept epoch: the epoch whose weights were evaluated, per seed.',
        selectionCriterion(report.config),
        'Train time and images/s: mean per seed; the machine may have been shared.',
      ].filter((s) => s !== undefined).join(' '),
      table: costTable(report),
    }],
  });
  const figureBlocks: ReportBlock[] = [];
  if (figures.seeds) {
    figureBlocks.push({ type: 'paragraph', text: `Each seed's eval mean IoU at ${STUDY_THRESHOLD} per head (filled points; hollow: the unseen combinations of a holdout run), the bar the mean over seeds.` });
    figureBlocks.push({ type: 'image', src: figures.seeds, alt: 'Mean IoU per seed' });
  }
  if (figures.curves) {
    figureBlocks.push({ type: 'paragraph', text: 'Training loss per step (exponentially smoothed), validation loss (plain BCE) and validation mean IoU (at 0.5) per epoch, per fusion head (with several seeds: the mean over seeds as the curve, each seed as a hollow point); the ring marks the kept epoch of a single-seed run.' });
    figureBlocks.push({ type: 'image', src: figures.curves, alt: 'Loss curves' });
  }
  if (figures.examples) {
    figureBlocks.push({ type: 'paragraph', text: 'Examples: the source image, the true mask (green overlay), and each head\'s prediction (red overlay where the probability exceeds 0.5, stronger with higher probability; green outline: the true mask; caption: the example\'s IoU at 0.5).' });
    figureBlocks.push({ type: 'image', src: figures.examples, alt: 'Example predictions' });
  }
  if (figures.attention) {
    figureBlocks.push({ type: 'paragraph', text: 'Attention of the heads that return it, resized bilinearly to the image and drawn with the viridis colormap over it (each map scaled to its own minimum and maximum).' });
    figureBlocks.push({ type: 'image', src: figures.attention, alt: 'Attention heatmaps' });
  }
  if (figureBlocks.length > 0) sections.push({ title: 'Figures', blocks: figureBlocks });
  sections.push({
    title: 'Run',
    blocks: [
      { type: 'list', items: [
        `Dataset: ${dataset.name}, ${formatCount(dataset.train)} train / ${formatCount(dataset.eval)} eval samples${kinds}`,
        `Machine: ${report.machine.adapter}; ${report.machine.cpus} CPUs; ${report.machine.os}`,
        `Wall time: ${formatSeconds(report.wallSeconds)}`,
        `Started: ${report.createdAt}`,
      ] },
      { type: 'paragraph', text: 'Command:' },
      { type: 'code', text: report.command, language: 'sh' },
      { type: 'paragraph', text: 'Config:' },
      { type: 'code', text: JSON.stringify(report.config, null, 2), language: 'json' },
    ],
  });
  if (report.notes.length > 0) sections.push({ title: 'Notes', blocks: [{ type: 'list', items: report.notes }] });
  return { title: report.title, subtitle: `${report.createdAt} · ${dataset.name}`, sections };
}
