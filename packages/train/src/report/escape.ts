/** Escaping text for XML and HTML (element content and double- or single-quoted attributes). */

/** Replaces &, <, >, " and ' with entities valid in both XML and HTML. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
