/**
 * Test support: writes a MagicBrush parquet shard as the Hugging Face release lays it out
 * (img_id, turn_index, source_img / mask_img / target_img structs of { bytes, path }, instruction),
 * with columns left out on request and a chosen row-group size.
 */
import { parquetWriteFile } from 'hyparquet-writer';

/** One turn to write. */
export interface Row {
  img_id: string;
  turn_index: number;
  source: Uint8Array;
  mask: Uint8Array;
  target: Uint8Array;
  instruction: string;
}

/** Writes `rows` to `path` (columns named in `omit` left out). */
export function writeShard(path: string, rows: Row[], omit: string[] = [], rowGroupSize = 1000): void {
  const image = (bytes: Uint8Array, name: string) => ({ bytes, path: name });
  const columns = [
    { name: 'img_id', data: rows.map((r) => r.img_id), schema: [{ name: 'img_id', type: 'BYTE_ARRAY', converted_type: 'UTF8' }] },
    { name: 'turn_index', data: rows.map((r) => r.turn_index), schema: [{ name: 'turn_index', type: 'INT32' }] },
    ...(['source', 'mask', 'target'] as const).map((key) => ({
      name: `${key}_img`,
      data: rows.map((r) => image(r[key], `${r.img_id}-${key}.png`)),
      schema: [
        { name: `${key}_img`, num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY' },
        { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
      ],
    })),
    { name: 'instruction', data: rows.map((r) => r.instruction), schema: [{ name: 'instruction', type: 'BYTE_ARRAY', converted_type: 'UTF8' }] },
  ].filter((c) => !omit.includes(c.name));
  const schema = [
    { name: 'root', num_children: columns.length },
    ...columns.flatMap((c) => c.schema.map((e) => ({ ...e, repetition_type: 'OPTIONAL' }))),
  ];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  parquetWriteFile({ filename: path, columnData: columns.map(({ name, data }) => ({ name, data })), schema: schema as any, rowGroupSize });
}
