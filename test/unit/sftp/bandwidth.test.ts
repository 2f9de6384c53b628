// sftp -l: misc.c bandwidth_limit() pacing, on a fake clock.
import { expect, test } from "bun:test";
import { BandwidthLimiter } from "../../../core/sftp/client.ts";

test("waits so the average stays at the limit", () => {
  let now = 0;
  const bw = new BandwidthLimiter(8 * 1024 * 1024, 32768, () => now); // 1 MiB/s
  expect(bw.account(0)).toBe(0); // starts the clock
  now = 1;
  expect(bw.account(16384)).toBe(0); // under the threshold
  now = 2;
  const wait = bw.account(1024 * 1024 - 16384); // 1 MiB after 2 ms: about a second to wait
  expect(wait).toBeGreaterThan(990);
  expect(wait).toBeLessThan(1000);
  now += wait + 2000; // a slow link afterwards: no wait
  expect(bw.account(1024 * 1024)).toBe(0);
});
