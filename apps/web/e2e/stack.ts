import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

/** What `npm run demo -- --ready-file` writes once the stack is up. */
export interface Stack {
  apiUrl: string;
  webUrl: string;
  graphqlUrl: string;
  clusterId: string;
  anvilUrl: string;
  chainId: number;
  splitterAddress: string;
  identities: { role: string; label: string; address: string; privateKey: string }[];
  dataDir: string;
}

export const ARTIFACTS = path.resolve(import.meta.dirname, "../e2e-artifacts");
export const READY_FILE = process.env.COHORT_E2E_READY_FILE ?? path.join(ARTIFACTS, "ready.json");
export const STATE_FILE = path.join(ARTIFACTS, "demo-process.json");

export function stack(): Stack {
  const s = JSON.parse(readFileSync(READY_FILE, "utf8")) as Stack;
  if (!s.webUrl) throw new Error(`${READY_FILE} has no webUrl: the demo did not start the dashboard`);
  return s;
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Signs in with the dev signer as the identity with this label (e.g. "Operator 1") or role. */
export async function signInAs(page: Page, who: string) {
  const s = stack();
  const id = s.identities.find((i) => i.label === who) ?? s.identities.find((i) => i.role === who);
  if (!id) throw new Error(`no demo identity ${who}`);
  await page.goto(`${s.webUrl}/signin`);
  await expect(page.getByText("DEV SIGNER — insecure demo keys")).toBeVisible();
  await page.getByRole("button", { name: `Sign in as ${id.label} (${id.role})` }).click();
  // Either signed in, or the page shows why not (e.g. SIWE_INVALID when the API's SIWE_DOMAINS lacks this host).
  const failed = page.getByRole("alert").filter({ hasText: "Sign-in failed" });
  await Promise.race([
    page.waitForURL((u) => !u.pathname.startsWith("/signin")),
    failed.waitFor().then(async () => {
      throw new Error(`sign-in as ${id.label} failed: ${await failed.textContent()}`);
    }),
  ]);
  await expect(page.getByRole("banner").getByText(id.label)).toBeVisible();
  return id;
}
