/**
 * A format-neutral model of the report's text: titled sections of paragraphs, tables, code, lists and
 * images, rendered to Markdown (markdown.ts) and HTML (html.ts) so both say the same thing.
 */

/** A table cell: its text, and whether it is the best value of its column (rendered bold). */
export interface ReportTableCell {
  text: string;
  best?: boolean;
}

/** A table: header texts and rows of cells (each row as long as the header). */
export interface ReportTable {
  headers: string[];
  /** Header alignment per column; numbers align right. */
  align: ('left' | 'right')[];
  rows: ReportTableCell[][];
  /** Rows after which a visual separator goes (e.g. between threshold blocks). */
  groupEnds?: number[];
}

/** One block of a section. */
export type ReportBlock =
  | { type: 'paragraph'; text: string }
  | { type: 'table'; caption?: string; table: ReportTable }
  | { type: 'code'; text: string; language?: string }
  | { type: 'list'; items: string[] }
  | { type: 'image'; src: string; alt: string };

/** A titled section. */
export interface ReportSection {
  title: string;
  blocks: ReportBlock[];
}

/** The whole report text. */
export interface ReportDocument {
  title: string;
  /** One line under the title (date, dataset). */
  subtitle: string;
  sections: ReportSection[];
}
