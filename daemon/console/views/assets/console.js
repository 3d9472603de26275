// The console's own script (docs/CONSOLE.md): asks before a form marked data-confirm is sent, and
// draws the "today" chart with Chart.js from the data the page carries. No state, no routing: the
// pages are the server's.

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question !== undefined && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("sales-chart");
  const source = document.getElementById("sales-data");
  if (canvas === null || source === null || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: data.label, data: data.values, backgroundColor: "#1f6f8b" }],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
    },
  });
  canvas.dataset.drawn = "true";
});
