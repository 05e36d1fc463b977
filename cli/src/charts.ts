// Terminal charts for the stats views: a sparkline for a trend, a bar for a share. A few lines
// each, so no library (the ones on npm add colour and layout we do not use).
const TICKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** One glyph per value, scaled between 0 (or the minimum, if negative) and the maximum. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const min = Math.min(0, ...values);
  const max = Math.max(...values);
  const span = max - min;
  return values.map((v) => (span === 0 ? TICKS[0] : TICKS[Math.round(((v - min) / span) * (TICKS.length - 1))])).join('');
}

/** A bar `width` characters long at most, proportional to value / max. */
export function bar(value: number, max: number, width = 20): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.round((value / max) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return '█'.repeat(full) + (rest > 0 ? ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][rest] : '');
}
