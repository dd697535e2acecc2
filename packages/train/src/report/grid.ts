/**
 * Layout and frame of the report's image grids (examples.png, attention.png): column headers on top,
 * then per row a wrapped caption line or two (the instruction), a row of equal cells holding the
 * example scaled up by an integer factor (nearest neighbour, so a 32x32 example becomes 128x128),
 * and a one-line caption under each cell. Text uses the built-in 5x7 font at 2x.
 */
import { charsThatFit, drawText, GLYPH_HEIGHT, LINE_HEIGHT, textWidth, wrapText } from './font.js';
import type { Rgb } from './palette.js';
import { createImage, drawScaled, type RgbImage } from './raster.js';

/** Gap around and between cells, in pixels. */
export const GRID_PADDING = 8;
/** Font scale of all grid text. */
export const TEXT_SCALE = 2;
/** Examples are scaled up by an integer factor until their longer side reaches about this many pixels. */
export const TARGET_CELL_SIZE = 128;
/** Instruction lines per row at most. */
export const MAX_ROW_TEXT_LINES = 2;
const TEXT_COLOR: Rgb = [34, 34, 34];
const CAPTION_COLOR: Rgb = [90, 90, 90];
const LINE = LINE_HEIGHT * TEXT_SCALE;

/** What the layout needs to know of a row. */
export interface GridRowInput {
  width: number;
  height: number;
  text: string;
}

/** Where a row goes. */
export interface GridRowLayout {
  /** Top of the row's text. */
  textTop: number;
  lines: string[];
  /** Top of the cells. */
  cellTop: number;
  /** Integer upscaling factor of this row's images. */
  scale: number;
  /** Size of the scaled image. */
  imageWidth: number;
  imageHeight: number;
  /** Top of the captions under the cells. */
  captionTop: number;
}

/** The whole grid's geometry. */
export interface GridLayout {
  width: number;
  height: number;
  columns: string[];
  /** Width of every column (at least the cell size and the header text). */
  columnWidth: number;
  /** Height of the cell area of every row. */
  cellHeight: number;
  headerTop: number;
  rows: GridRowLayout[];
  /** Extra space at the bottom (e.g. a colour bar), already included in `height`. */
  footerTop: number;
}

/** The integer factor that brings the longer side of a `width` x `height` image to about TARGET_CELL_SIZE (never below 1). */
export function upscaleFactor(width: number, height: number): number {
  return Math.max(1, Math.floor(TARGET_CELL_SIZE / Math.max(width, height)));
}

/** Left edge of column `index`. */
export function columnLeft(layout: GridLayout, index: number): number {
  return GRID_PADDING + index * (layout.columnWidth + GRID_PADDING);
}

/** The geometry of a grid with `columns` headers and `rows`, plus `footerHeight` pixels at the bottom. */
export function layoutGrid(columns: string[], rows: GridRowInput[], footerHeight = 0): GridLayout {
  const scales = rows.map((r) => upscaleFactor(r.width, r.height));
  const cellWidth = Math.max(1, ...rows.map((r, i) => r.width * scales[i]));
  const cellHeight = Math.max(1, ...rows.map((r, i) => r.height * scales[i]));
  const columnWidth = Math.max(cellWidth, ...columns.map((c) => textWidth(c, TEXT_SCALE)));
  const width = GRID_PADDING + columns.length * (columnWidth + GRID_PADDING);
  const maxChars = charsThatFit(width - 2 * GRID_PADDING, TEXT_SCALE);
  const headerTop = GRID_PADDING;
  let y = headerTop + GLYPH_HEIGHT * TEXT_SCALE + GRID_PADDING * 2;
  const rowLayouts = rows.map((r, i): GridRowLayout => {
    const lines = wrapText(r.text, maxChars, MAX_ROW_TEXT_LINES);
    const textTop = y;
    const cellTop = textTop + lines.length * LINE + (lines.length > 0 ? 2 : 0);
    const captionTop = cellTop + cellHeight + 4;
    y = captionTop + LINE + GRID_PADDING;
    return { textTop, lines, cellTop, scale: scales[i], imageWidth: r.width * scales[i], imageHeight: r.height * scales[i], captionTop };
  });
  const footerTop = y;
  return { width, height: footerTop + footerHeight + (footerHeight > 0 ? GRID_PADDING : 0), columns, columnWidth, cellHeight, headerTop, rows: rowLayouts, footerTop };
}

/** A white canvas with the column headers and each row's text drawn. */
export function drawGridFrame(layout: GridLayout): RgbImage {
  const image = createImage(layout.width, layout.height);
  layout.columns.forEach((title, i) => drawText(image, title, columnLeft(layout, i), layout.headerTop, TEXT_COLOR, TEXT_SCALE));
  for (const row of layout.rows) {
    row.lines.forEach((line, k) => drawText(image, line, GRID_PADDING, row.textTop + k * LINE, TEXT_COLOR, TEXT_SCALE));
  }
  return image;
}

/** Top-left corner of the image in cell (`row`, `column`), centred horizontally in the column. */
export function cellOrigin(layout: GridLayout, row: number, column: number): { x: number; y: number } {
  const r = layout.rows[row];
  return { x: columnLeft(layout, column) + Math.floor((layout.columnWidth - r.imageWidth) / 2), y: r.cellTop };
}

/** Draws an already-scaled cell image into (`row`, `column`) and its caption (if any) under it. */
export function drawCell(canvas: RgbImage, layout: GridLayout, row: number, column: number, cell: RgbImage, caption?: string): void {
  const { x, y } = cellOrigin(layout, row, column);
  drawScaled(canvas, cell, x, y, 1);
  if (caption) {
    const maxChars = charsThatFit(layout.columnWidth, TEXT_SCALE);
    drawText(canvas, caption.slice(0, maxChars), columnLeft(layout, column), layout.rows[row].captionTop, CAPTION_COLOR, TEXT_SCALE);
  }
}
