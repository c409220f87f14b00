/**
 * A real headless Chromium (Debian `chromium`) for tests, driven over the DevTools protocol by
 * puppeteer-core (which downloads no browser). A fresh `mkdtemp` profile (so the HTTP cache
 * starts empty), no network services of its own (no QUIC, sync, component updates or
 * background networking), stopped by its PID and the profile removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export class Chromium {
  readonly browser: Browser;
  readonly #dir: string;
  readonly #pid: number;

  private constructor(browser: Browser, dir: string, pid: number) {
    this.browser = browser;
    this.#dir = dir;
    this.#pid = pid;
  }

  static async start(): Promise<Chromium> {
    const dir = mkdtempSync(join(tmpdir(), 'ringcache-chromium-'));
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      userDataDir: dir,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    const pid = browser.process()?.pid;
    if (pid === undefined) {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
      throw new Error('chromium started without a process');
    }
    return new Chromium(browser, dir, pid);
  }

  /** Closes the browser, kills its PID if it is still there, removes the profile. */
  async stop(): Promise<void> {
    await Promise.race([this.browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    try {
      process.kill(this.#pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
