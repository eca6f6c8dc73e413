// Drives Neo4j Browser in headless Chromium (Debian's /usr/bin/chromium, through playwright-core):
// open the Browser the server serves, connect, load the Linkage style sheet, set the guide step's
// parameters, run its query, wait for the result, and save a screenshot.
// Usage: node tests/browser_guide.mjs JOB_JSON
//   JOB_JSON: {browserUrl, boltUrl, user, password, grass, commands: [":param ..."], query,
//              screenshot, userDataDir, timeoutMs}
// Prints one JSON object: what the result frame shows (status line, graph nodes per caption
// colour, table rows) so the test can check it against the database; exits 1 on failure.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const timeout = job.timeoutMs ?? 90000;
const started = Date.now();
const step = (what) => console.error(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function runInEditor(page, text) {
  // A paste types no key events, so the query's line breaks do not run it half-written; and the
  // editor takes it as one edit, where keyboard.insertText of the 4.8 kB `:style` line took ~40 s.
  const editor = page.locator('[data-testid="activeEditor"]');
  await editor.click();
  await page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData("text/plain", t);
    document.activeElement.dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  await page.locator('[data-testid="editor-Run"]').click();
}

async function lastFrame(page, command) {
  const frame = page.locator('[data-testid="frame"]').filter({
    has: page.locator('[data-testid="frameCommand"]', { hasText: command }) }).first();
  await frame.waitFor({ timeout });
  return frame;
}

const context = await chromium.launchPersistentContext(job.userDataDir, {
  executablePath: job.chromium ?? "/usr/bin/chromium", headless: true, args: FLAGS,
  viewport: { width: 1400, height: 1000 }, timeout,
});
let code = 0;
try {
  step("chromium started");
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(timeout);
  await page.goto(job.browserUrl, { waitUntil: "domcontentloaded" });

  // The connect form: scheme, address, user, password.
  const [scheme, address] = job.boltUrl.split("://");
  await page.locator('[data-testid="boltaddress"]').waitFor();
  await page.locator('[data-testid="bolt-scheme-select"]').selectOption(`${scheme}://`);
  await page.locator('[data-testid="boltaddress"]').fill(address);
  await page.locator('[data-testid="username"]').fill(job.user);
  await page.locator('[data-testid="password"]').fill(job.password);
  await page.locator('[data-testid="connect"]').click();
  await page.getByText("You are connected as user", { exact: false }).first().waitFor();
  step("connected");

  // The style sheet: `:style` followed by the GraSS text replaces Browser's style. Browser reads
  // the text after `:style` up to the end of the line, so the sheet goes on one line, comments out.
  const grass = job.grass.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ").trim();
  await runInEditor(page, `:style ${grass}`);
  step("style sent");
  await lastFrame(page, ":style");
  step("style frame");
  for (const command of job.commands) {
    await runInEditor(page, command);
    await lastFrame(page, command.split("=>")[0].trim());
  }

  step("style and parameters set");
  await runInEditor(page, job.query);
  const firstLine = job.query.split("\n").find((l) => l.trim() && !l.trim().startsWith("//")).trim();
  const frame = await lastFrame(page, firstLine.slice(0, 20));
  // The graph view's overview says what it draws; a failed query shows an error instead.
  const shown = frame.getByText(/Displaying \d+ nodes?, \d+ relationships?/).first();
  const failed = frame.getByText(/Error|ERROR/).first();
  await shown.or(failed).waitFor();
  if (await failed.isVisible()) throw new Error(`the query failed in Browser: ${await frame.innerText()}`);
  step("result shown");
  // Let the force layout settle before the picture is taken.
  await page.waitForTimeout(job.settleMs ?? 4000);
  const nodes = await frame.locator("svg g.node").evaluateAll((gs) => gs.map((g) => ({
    caption: (g.querySelector("text")?.textContent ?? "").trim(),
    // A node is drawn as a filled circle plus an unfilled selection ring: the fill is the style's colour.
    fill: [...g.querySelectorAll("circle")].map((c) => getComputedStyle(c).fill).find((f) => f !== "none") ?? "",
  })));
  const relationships = await frame.locator("svg g.relationship").count();
  await frame.screenshot({ path: job.screenshot });
  console.log(JSON.stringify({ shown: (await shown.innerText()).trim(), nodes, relationships }));
} catch (err) {
  code = 1;
  console.error(String(err?.stack ?? err));
  try {
    const page = context.pages()[0];
    if (page) await page.screenshot({ path: job.screenshot.replace(/\.png$/, "-failed.png") });
  } catch { /* the failure itself is what matters */ }
} finally {
  await context.close();
}
process.exit(code);
