import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when it is missing. */
export const CHROMIUM = process.env.STAGECOACH_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. Under CI=true a missing
 * browser is a failure, not a skip, so a green CI always means the console was tested.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is not installed (apt-get install chromium), so the console's browser tests are skipped.`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason.replace('are skipped', 'cannot run')}`);
  process.stderr.write(`\n[stagecoach] ${reason}\n`);
  return reason;
}

/**
 * Headless Chromium with nothing that reaches for the network on its own (this machine has none:
 * background services would make it hang). Playwright gives every launch a fresh profile.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
