/**
 * Reads MagicBrush in its original release layout: `edit_sessions.json` maps each `img_id` to its
 * list of turns `{ input, mask, output, instruction }` (file names), and the files live under
 * `images/<img_id>/` next to the JSON. Turn numbers are 1-based positions in that list, as in the
 * Hugging Face `turn_index`. The JSON is read when opening; images are read turn by turn.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MagicBrushRowError, type EncodedImage, type RawTurn, type TurnProblem } from './magicbrush-turn.js';

/** One session turn as listed in edit_sessions.json (fields unchecked until read). */
export interface OriginalTurnEntry {
  imgId: string;
  turn: number;
  entry: unknown;
}

/** The parsed session list: every turn, in file order, and the JSON's path. */
export interface OriginalSessions {
  path: string;
  turns: OriginalTurnEntry[];
}

/** Parses edit_sessions.json; throws naming the file when it is not a map of img_id to turn lists. */
export async function openOriginalSessions(path: string): Promise<OriginalSessions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read edit sessions: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path}: expected an object mapping img_id to a list of turns`);
  }
  const turns: OriginalTurnEntry[] = [];
  for (const [imgId, session] of Object.entries(parsed)) {
    if (!Array.isArray(session)) throw new Error(`${path}: img_id ${imgId}: expected a list of turns, got ${typeof session}`);
    session.forEach((entry, i) => turns.push({ imgId, turn: i + 1, entry }));
  }
  return { path, turns };
}

async function readImage(folder: string, file: unknown, field: string, label: string): Promise<EncodedImage> {
  if (typeof file !== 'string' || file.length === 0) {
    throw new MagicBrushRowError('malformed-row', `${label}: field '${field}' is ${JSON.stringify(file)}, not a file name`);
  }
  const name = join(folder, file);
  try {
    return { bytes: new Uint8Array(await readFile(name)), name };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MagicBrushRowError('missing-image', `${label}: cannot read ${field} image ${name}: ${code ?? (error as Error).message}`);
  }
}

/** The turn's instruction: a missing or mistyped field is a malformed row (an empty one is checked later). */
function instructionField(entry: Record<string, unknown>, label: string): string {
  if (!('instruction' in entry)) throw new MagicBrushRowError('malformed-row', `${label}: no 'instruction' field`);
  if (typeof entry.instruction !== 'string') throw new MagicBrushRowError('malformed-row', `${label}: field 'instruction' is ${JSON.stringify(entry.instruction)}, not a string`);
  return entry.instruction;
}

async function entryToTurn(sessions: OriginalSessions, t: OriginalTurnEntry, withTarget: boolean): Promise<RawTurn> {
  const label = `${sessions.path} img_id ${t.imgId} turn ${t.turn}`;
  const entry = t.entry as Record<string, unknown> | null;
  if (typeof entry !== 'object' || entry === null) throw new MagicBrushRowError('malformed-row', `${label}: not an object`);
  const folder = join(dirname(sessions.path), 'images', t.imgId);
  return {
    id: `${t.imgId}/${t.turn}`,
    label,
    source: await readImage(folder, entry.input, 'input', label),
    mask: await readImage(folder, entry.mask, 'mask', label),
    target: withTarget ? await readImage(folder, entry.output, 'output', label) : undefined,
    instruction: instructionField(entry, label),
  };
}

/** The turns in file order; bad ones come out as TurnProblem values (see readParquetTurns). */
export async function* readOriginalTurns(sessions: OriginalSessions, withTarget: boolean): AsyncGenerator<RawTurn | TurnProblem> {
  for (const t of sessions.turns) {
    let item: RawTurn | TurnProblem;
    try {
      item = await entryToTurn(sessions, t, withTarget);
    } catch (error) {
      if (!(error instanceof MagicBrushRowError)) throw error;
      item = { error, rows: 1 };
    }
    yield item;
  }
}
