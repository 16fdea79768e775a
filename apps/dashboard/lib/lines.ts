/**
 * Lines shown before any data arrives: the demo registry (DESIGN.md section 2). Lines seen on the stream
 * are added to these. When GET /api/lines is usable from the browser (token, CORS), it should replace
 * this list.
 */
export const DEFAULT_LINE_IDS: readonly string[] = ['1', '2', '3', '4', '5', '6', '7', '8'];

/** "1" < "2" < "10" < "L-3": numeric-aware order for line ids. */
export const compareLineIds = (a: string, b: string): number =>
  a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
