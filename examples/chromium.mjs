// Headless Chromium as the demo's simulator, the real-browser tests and the benchmark all
// launch it: Debian's /usr/bin/chromium through playwright-core. The background-networking
// flags matter on machines with no internet, where Chromium's own connections are refused.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** @returns {Promise<import('playwright-core').Browser>} */
export const launchChromium = () => chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
