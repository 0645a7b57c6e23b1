import { type Browser, expect, type Page, test } from "@playwright/test";
import { shot, signInAs, stack } from "./stack";

test.describe.configure({ mode: "serial" });

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  return context.newPage();
}

/** Declares a MINOR incident through the dashboard (as the signed-in operator); returns its page URL. */
async function declareIncident(page: Page, title: string) {
  const s = stack();
  await page.goto(`${s.webUrl}/clusters/${s.clusterId}/incidents`);
  await page.getByLabel("Title").fill(title);
  await page.getByRole("button", { name: "Declare incident" }).click();
  await page.waitForURL(/\/incidents\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: new RegExp(title) })).toBeVisible();
  return page.url();
}

test("operator 1 signs in with the dev signer and sees the cluster and its members", async ({ browser }) => {
  const s = stack();
  const page = await newPage(browser);
  await signInAs(page, "Operator 1");
  await expect(page.getByRole("heading", { name: "Clusters", level: 1 })).toBeVisible();
  const card = page.locator("article.cluster-card").first();
  await expect(card).toBeVisible();
  await expect(card.getByText("Quorum")).toBeVisible();
  await shot(page, "01-clusters");

  await page.goto(`${s.webUrl}/clusters/${s.clusterId}`);
  const members = page.locator("#members tbody tr");
  await expect(members).toHaveCount(s.identities.filter((i) => i.role === "operator").length);
  // Live status from the agents' heartbeats: at least one member connected once the demo runs.
  await expect(page.locator("#members").getByText("connected").first()).toBeVisible({ timeout: 90_000 });
  // Duties flowing: an epoch every member fully contributed to, coloured in the heatmap.
  await expect(async () => {
    await page.reload();
    await expect(page.locator("#heatmap .hm-cell.hit").first()).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 120_000, intervals: [5_000] });
  await expect(page.locator("#validators tbody tr").first()).toBeVisible();
  await page.waitForTimeout(1000);
  await shot(page, "02-cluster");

  await page.goto(`${s.webUrl}/clusters/${s.clusterId}/duties`);
  await expect(page.locator("#duties tbody tr").first()).toBeVisible({ timeout: 60_000 });
  await shot(page, "03-duties");
  await page.locator("#duties tbody tr a").first().click();
  await expect(page.getByRole("heading", { name: /duty at slot/ })).toBeVisible();
  await shot(page, "04-duty");

  await page.goto(`${s.webUrl}/clusters/${s.clusterId}/on-call`);
  await expect(page.getByRole("heading", { name: "On call now" })).toBeVisible();
  await expect(page.locator("#now .loading")).toHaveCount(0);
  await shot(page, "05-on-call");
});

test("an operator opens an incident and acknowledges it", async ({ browser }) => {
  const s = stack();
  const page = await newPage(browser);
  await signInAs(page, "Operator 1");
  await page.goto(`${s.webUrl}/clusters/${s.clusterId}/incidents`);
  await expect(page.locator("#incidents .loading")).toHaveCount(0);
  // An open incident of the demo if there is one, else one we declare.
  const openRow = page.locator("#incidents tbody tr", { has: page.locator(".badge", { hasText: /^open$/ }) });
  if ((await openRow.count()) > 0) await openRow.first().getByRole("link").click();
  else await declareIncident(page, `e2e incident ${Date.now()}`);
  await expect(page.getByRole("heading", { name: "Timeline" })).toBeVisible();
  await shot(page, "06-incident");
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Acknowledged" })).toBeVisible();
  await expect(page.locator(".page-head .badge", { hasText: "acknowledged" })).toBeVisible();
  await expect(page.locator(".timeline").getByText("Acknowledged", { exact: true }).first()).toBeVisible();
  await shot(page, "07-incident-acknowledged");
});

test("a viewer's acknowledge attempt shows FORBIDDEN", async ({ browser }) => {
  const operator = await newPage(browser);
  await signInAs(operator, "Operator 1");
  const url = await declareIncident(operator, `e2e viewer check ${Date.now()}`);

  const viewer = await newPage(browser);
  await signInAs(viewer, "viewer");
  await viewer.goto(url);
  await viewer.getByRole("button", { name: "Acknowledge" }).click();
  const alert = viewer.getByRole("alert").filter({ hasText: "FORBIDDEN" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("The action failed");
  await shot(viewer, "08-viewer-forbidden");
});

test("three operators approve the settlement draft in the dashboard; it is submitted and confirmed on-chain", async ({
  browser,
}) => {
  test.setTimeout(8 * 60_000);
  const s = stack();
  // Periods end every ~2.5 minutes in the demo: wait for a draft (the page refetches on live events).
  for (const [i, who] of ["Operator 1", "Operator 2", "Operator 3"].entries()) {
    const page = await newPage(browser);
    await signInAs(page, who);
    await page.goto(`${s.webUrl}/clusters/${s.clusterId}/rewards`);
    const approve = page.getByRole("button", { name: /^Approve period #/ });
    await expect(async () => {
      if (!(await approve.isVisible())) {
        await page.reload();
        await expect(approve).toBeVisible({ timeout: 5_000 });
      }
    }).toPass({ timeout: 5 * 60_000, intervals: [5_000] });
    if (i === 0) {
      await shot(page, "09-rewards-draft");
      // How each allocation was derived: the explanation steps.
      await page.locator("#allocations details summary").first().click();
      await expect(page.locator("#allocations .steps").first()).toBeVisible();
    }
    await approve.click();
    await expect(page.getByRole("status").filter({ hasText: "Approved" })).toBeVisible();
    await expect(page.locator("#approvals li .badge", { hasText: "approved" })).toHaveCount(i + 1);
    if (i < 2) {
      await expect(page.getByText("You approved this settlement.")).toBeVisible();
      await page.context().close();
      continue;
    }
    // The third approval reaches the threshold: the worker submits it and the page shows the transaction.
    await expect(async () => {
      await page.reload();
      await expect(page.locator("#onchain .badge", { hasText: "confirmed" })).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 90_000, intervals: [3_000] });
    await expect(page.getByTestId("tx-hash")).toHaveText(/^0x[0-9a-f]{64}$/);
    await shot(page, "10-rewards-confirmed");
  }
});

test("an auditor sees the audit report with evidence downloads and the verify command", async ({
  browser,
}) => {
  const s = stack();
  const page = await newPage(browser);
  await signInAs(page, "auditor");
  await page.goto(`${s.webUrl}/clusters/${s.clusterId}/audit`);
  await expect(page.getByRole("heading", { name: "Per member" })).toBeVisible();
  await expect(page.getByTestId("verify-command")).toContainText("cohort evidence verify");
  await expect(page.getByRole("button", { name: "Download CSV" })).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download CSV" }).click();
  expect((await download).suggestedFilename()).toBe("participation.csv");
  await shot(page, "11-audit");
});
