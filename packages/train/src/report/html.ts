/**
 * Renders a ReportDocument as one self-contained HTML page: inline CSS, no scripts, no external
 * resources except the figures, referenced by relative path beside the page.
 */
import type { ReportBlock, ReportDocument, ReportTable } from './document.js';
import { escapeXml as escapeHtml } from './escape.js';

const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; max-width: 1200px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0; }
.subtitle { color: #666; margin-top: .2em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: .6em 0; }
th, td { padding: .25em .6em; border-bottom: 1px solid #eee; }
th { background: #f5f5f7; border-bottom: 1px solid #ccc; }
td.right, th.right { text-align: right; }
td.left, th.left { text-align: left; }
tr.group-end td { border-bottom: 2px solid #999; }
td.best { font-weight: 700; }
caption { caption-side: top; text-align: left; color: #444; font-size: .9em; max-width: 100%; padding-bottom: .4em; }
pre { background: #f5f5f7; padding: .8em; overflow-x: auto; font-size: 13px; }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
img[src$=".svg"] { image-rendering: auto; }
.answer { background: #f0f6ff; border-left: 4px solid #0072b2; padding: .6em 1em; }
`;

function renderTable(table: ReportTable, caption?: string): string {
  const ends = new Set(table.groupEnds ?? []);
  const head = table.headers.map((h, i) => `<th class="${table.align[i]}">${escapeHtml(h)}</th>`).join('');
  const rows = table.rows.map((row, r) => {
    const cls = ends.has(r + 1) && r + 1 < table.rows.length ? ' class="group-end"' : '';
    const cells = row.map((c, i) => `<td class="${table.align[i]}${c.best ? ' best' : ''}">${escapeHtml(c.text)}</td>`).join('');
    return `<tr${cls}>${cells}</tr>`;
  });
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function renderBlock(block: ReportBlock, sectionTitle: string): string {
  switch (block.type) {
    case 'paragraph':
      return sectionTitle === 'Answer' ? `<p class="answer">${escapeHtml(block.text)}</p>` : `<p>${escapeHtml(block.text)}</p>`;
    case 'table':
      return renderTable(block.table, block.caption);
    case 'code':
      return `<pre><code>${escapeHtml(block.text)}</code></pre>`;
    case 'list':
      return `<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
    case 'image':
      return `<p><img src="${escapeHtml(block.src)}" alt="${escapeHtml(block.alt)}"></p>`;
  }
}

/** The document as a complete HTML page. */
export function renderHtml(doc: ReportDocument): string {
  const body = doc.sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n${s.blocks.map((b) => renderBlock(b, s.title)).join('\n')}`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(doc.title)}</h1>
<p class="subtitle">${escapeHtml(doc.subtitle)}</p>
${body.join('\n')}
</body>
</html>
`;
}
