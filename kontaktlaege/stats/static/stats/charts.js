// Draws each statistics chart with uPlot (loaded before this module) from the JSON the page
// carries beside it (Django's json_script). The table under each chart holds the same numbers.
const COLOURS = ["#0b5cad", "#d46f00", "#17663a", "#8e3fa8", "#a4161a"];

function draw(holder, spec) {
  const labels = spec.x;
  const xs = labels.map((_label, i) => i);
  // Lines leave a gap where a month has no value; bars draw it as 0.
  let values = spec.series.map((s) => s.values.map((v) => (spec.lines ? v : (v ?? 0))));
  let names = spec.series.map((s) => s.label);
  let colours = names.map((_n, i) => COLOURS[i % COLOURS.length]);
  if (spec.stacked) {
    // uPlot does not stack: draw running totals, tallest first, each over the one before.
    const running = values.map((_v, i) => xs.map((x) => values.slice(0, i + 1).reduce((t, s) => t + s[x], 0)));
    values = running.reverse();
    names = names.slice().reverse();
    colours = colours.slice().reverse();
  }
  const bars = uPlot.paths.bars({ size: [0.7, 60] });
  const look = (colour) =>
    spec.lines
      ? { stroke: colour, width: 2, points: { show: true, size: 6 } }
      : { stroke: colour, fill: colour, paths: bars, points: { show: false } };
  const options = {
    width: Math.max(holder.clientWidth, 280),
    height: 260,
    legend: { show: true, live: false },
    cursor: { show: false },
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
    axes: [
      { splits: () => xs, values: (_u, splits) => splits.map((i) => labels[i] ?? ""), gap: 4 },
      { size: 56 },
    ],
    series: [
      {},
      ...names.map((label, i) => ({ label, ...look(colours[i]) })),
    ],
  };
  holder.replaceChildren();
  return new uPlot(options, [xs, ...values], holder);
}

for (const holder of document.querySelectorAll("[data-chart]")) {
  const source = document.getElementById(holder.dataset.chart);
  if (source) draw(holder, JSON.parse(source.textContent));
}
