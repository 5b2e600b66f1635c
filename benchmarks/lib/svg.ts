/**
 * A grouped bar chart as a self-contained SVG document: categories along the
 * x axis, one bar per series in each, a logarithmic y axis (benchmark values
 * span orders of magnitude: nanoseconds for aarm, milliseconds for Cedar).
 * Text is escaped; no scripts, no external resources.
 *
 * @module
 */

/** One series of bars: its name and a value per category (NaN for none). */
export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

/** What to draw. */
export interface BarChart {
  readonly title: string;
  readonly unit: string;
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  /** How a value is labelled on its bar and on the axis. */
  readonly format: (value: number) => string;
}

const COLOURS = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030"];
const WIDTH = 760;
const HEIGHT = 380;
const MARGIN = { top: 48, right: 24, bottom: 72, left: 84 };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The chart as SVG text. */
export function barChart(chart: BarChart): string {
  const values = chart.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  // One decade below the smallest value, so that the shortest bar is still a bar.
  const lo = values.length === 0 ? 1 : 10 ** (Math.floor(Math.log10(Math.min(...values))) - 1);
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (v: number): number =>
    MARGIN.top + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const groupW = plotW / Math.max(1, chart.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let tick = lo; tick <= hi * 1.0001; tick *= 10) {
    const ty = y(tick).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escape(chart.format(tick))}</text>`,
    );
  }
  out.push(
    `<text x="18" y="${MARGIN.top + plotH / 2}" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})" text-anchor="middle">${escape(chart.unit)} (log scale)</text>`,
  );
  chart.categories.forEach((category, c) => {
    const gx = MARGIN.left + c * groupW + groupW * 0.1;
    chart.series.forEach((series, s) => {
      const v = series.values[c];
      if (v === undefined || !Number.isFinite(v) || v <= 0) return;
      const x = gx + s * barW;
      const top = y(v);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(MARGIN.top + plotH - top).toFixed(1)}" fill="${COLOURS[s % COLOURS.length]}"><title>${escape(`${series.name}, ${category}: ${chart.format(v)}`)}</title></rect>`,
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10">${escape(chart.format(v))}</text>`,
      );
    });
    out.push(
      `<text x="${(gx + groupW * 0.4).toFixed(1)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escape(category)}</text>`,
    );
  });
  chart.series.forEach((series, s) => {
    const lx = MARGIN.left + s * 170;
    const ly = HEIGHT - 22;
    out.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLOURS[s % COLOURS.length]}"/>`,
      `<text x="${lx + 18}" y="${ly}">${escape(series.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
