// Render an eval report in headless Chromium and check it as a person would see it (nox -s report_check).
//
//   node check_report.mjs REPORT.html SCREENSHOT.png
//
// Chromium comes from the npm package @sparticuz/chromium (a compressed build inside the package, unpacked on
// first use), driven by puppeteer-core: nothing is downloaded from anywhere but the npm registry. Fails (exit 1)
// on a console message, a page error, any request other than the report itself, a missing or empty chart, a
// page wider than the window, or case details that do not open.
import chromium from "@sparticuz/chromium";
import puppeteer from "puppeteer-core";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [report, screenshot] = process.argv.slice(2);
if (!report || !screenshot) {
  console.error("usage: node check_report.mjs REPORT.html SCREENSHOT.png");
  process.exit(2);
}
const url = pathToFileURL(resolve(report)).href;
const CHARTS = ["scorers", "cases", "latency", "cost"];
const problems = [];

const browser = await puppeteer.launch({
  args: chromium.args,
  executablePath: await chromium.executablePath(),
  headless: "shell",
  defaultViewport: { width: 1280, height: 900 },
});
try {
  const page = await browser.newPage();
  page.on("console", (m) => problems.push(`console ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (r.url() !== url) problems.push(`request for ${r.url()} (the report must fetch nothing)`);
  });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(url, { waitUntil: "load" });

  const facts = await page.evaluate((ids) => {
    const charts = {};
    for (const id of ids) {
      const svg = document.querySelector(`svg[data-chart="${id}"]`);
      if (!svg) { charts[id] = null; continue; }
      const box = svg.getBoundingClientRect();
      charts[id] = {
        width: box.width, height: box.height,
        shapes: svg.querySelectorAll("rect, line").length,
        texts: svg.querySelectorAll("text").length,
      };
    }
    return {
      title: document.title,
      charts,
      scripts: document.scripts.length,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      rows: document.querySelectorAll("tbody tr").length,
      headline: document.querySelector("header h1")?.textContent ?? "",
    };
  }, CHARTS);

  for (const id of CHARTS) {
    const c = facts.charts[id];
    if (!c) problems.push(`chart ${id} is missing`);
    else if (c.width < 100 || c.height < 40) problems.push(`chart ${id} is ${c.width}x${c.height}`);
    else if (c.texts === 0) problems.push(`chart ${id} has no text`);
  }
  if (facts.scripts !== 0) problems.push(`${facts.scripts} script(s) in the page`);
  if (facts.overflow > 0) problems.push(`the page is ${facts.overflow}px wider than the window`);
  if (facts.rows === 0) problems.push("the case table has no rows");

  // A person clicks a case to see its runs: the details must open and show a run.
  const before = await page.$eval("tbody tr details", (d) => d.getBoundingClientRect().height);
  await page.click("tbody tr details summary");
  const opened = await page.$eval("tbody tr details", (d) => ({
    open: d.open, height: d.getBoundingClientRect().height, runs: d.querySelectorAll(".run").length,
  }));
  if (!opened.open || opened.height <= before || opened.runs === 0) {
    problems.push(`case details did not open: ${JSON.stringify(opened)}`);
  }

  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ browser: await browser.version(), ...facts, opened, screenshot }, null, 2));
} finally {
  await browser.close();
}
if (problems.length) {
  console.error("report check failed:\n  " + problems.join("\n  "));
  process.exit(1);
}
console.log("report check passed: 4 charts rendered, no console message, nothing fetched");
