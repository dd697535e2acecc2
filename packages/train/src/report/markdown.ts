/**
 * Renders a ReportDocument as GitHub-flavoured Markdown: pipe tables (best cells in bold, numbers
 * right-aligned), fenced code, relative image links.
 */
import type { ReportBlock, ReportDocument, ReportTable } from './document.js';

/** Escapes the characters that would break a table cell or start markup. */
function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderTable(table: ReportTable): string {
  const lines = [
    `| ${table.headers.map(escapeCell).join(' | ')} |`,
    `| ${table.align.map((a) => (a === 'right' ? '---:' : ':---')).join(' | ')} |`,
  ];
  for (const row of table.rows) {
    lines.push(`| ${row.map((c) => (c.best ? `**${escapeCell(c.text)}**` : escapeCell(c.text))).join(' | ')} |`);
  }
  return lines.join('\n');
}

function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) ticks += '`';
  return ticks;
}

function renderBlock(block: ReportBlock): string {
  switch (block.type) {
    case 'paragraph':
      return block.text;
    case 'table':
      return block.caption ? `${block.caption}\n\n${renderTable(block.table)}` : renderTable(block.table);
    case 'code': {
      const f = fence(block.text);
      return `${f}${block.language ?? ''}\n${block.text}\n${f}`;
    }
    case 'list':
      return block.items.map((item) => `- ${item}`).join('\n');
    case 'image':
      return `![${block.alt}](${block.src})`;
  }
}

/** The document as Markdown text (ends with a newline). */
export function renderMarkdown(doc: ReportDocument): string {
  const parts = [`# ${doc.title}`, `_${doc.subtitle}_`];
  for (const section of doc.sections) {
    parts.push(`## ${section.title}`);
    for (const block of section.blocks) parts.push(renderBlock(block));
  }
  return `${parts.join('\n\n')}\n`;
}
