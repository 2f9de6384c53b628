// The transfer progress line of sftp and scp (progressmeter.c): `name  45%  29MB  14.5MB/s   00:02 ETA`, redrawn
// each second on stdout and once more when the transfer ends.
import type { TransferProgress } from "../core/sftp/client.ts";

const UNIT = " KMGT";
const STALL_TIME = 5;
const MAX_WINSIZE = 512;

/** progressmeter.c format_rate(): `%3lld.%1lld%cB`, at least in KB. */
export function formatRate(bytesIn: number): string {
  let bytes = Math.trunc(bytesIn) * 100;
  let i = 0;
  for (; bytes >= 100 * 1000 && UNIT[i] !== "T"; i++) bytes = Math.trunc((bytes + 512) / 1024);
  if (i === 0) {
    i++;
    bytes = Math.trunc((bytes + 512) / 1024);
  }
  const whole = Math.trunc((bytes + 5) / 100);
  const tenth = Math.trunc((bytes + 5) / 10) % 10;
  return `${String(whole).padStart(3, " ")}.${tenth}${UNIT[i]}B`;
}

/** progressmeter.c format_size(): `%4lld%c%s`. */
export function formatSize(bytesIn: number): string {
  let bytes = Math.trunc(bytesIn);
  let i = 0;
  for (; bytes >= 10000 && UNIT[i] !== "T"; i++) bytes = Math.trunc((bytes + 512) / 1024);
  return `${String(bytes).padStart(4, " ")}${UNIT[i]}${i ? "B" : " "}`;
}

/** Where the meter draws and how wide the terminal is; a clock for tests. */
export interface MeterOutput {
  write(text: string): void;
  columns(): number | undefined;
  now(): number;
}

/** One meter per file, as start_progress_meter()/stop_progress_meter(). */
export class ProgressMeter implements TransferProgress {
  private file = "";
  private startTime = 0;
  private lastUpdate = 0;
  private startPos = 0;
  private endPos = 0;
  private curPos = 0;
  private counter = 0;
  private stalled = 0;
  private bytesPerSecond = 0;
  private winSize = 81;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly out: MeterOutput) {}

  start(name: string, totalBytes: number, doneBytes: number): void {
    this.startTime = this.lastUpdate = this.out.now();
    this.file = name;
    this.startPos = this.counter = doneBytes;
    this.endPos = totalBytes;
    this.curPos = 0;
    this.stalled = 0;
    this.bytesPerSecond = 0;
    const cols = this.out.columns();
    this.winSize = (cols !== undefined && cols > 0 ? Math.min(cols, MAX_WINSIZE) : 80) + 1;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), 1000);
    (this.timer as { unref?: () => void }).unref?.();
  }

  update(doneBytes: number): void {
    this.counter = doneBytes;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.curPos !== this.endPos) this.refresh();
    this.out.write("\n");
  }

  /** refresh_progress_meter(1). */
  refresh(): void {
    let transferred = this.counter - (this.curPos ? this.curPos : this.startPos);
    this.curPos = this.counter;
    const now = this.out.now();
    const bytesLeft = this.endPos - this.curPos;
    let elapsed: number;
    if (bytesLeft > 0) elapsed = now - this.lastUpdate;
    else {
      elapsed = now - this.startTime;
      transferred = this.endPos - this.startPos;
      this.bytesPerSecond = 0;
    }
    const curSpeed = elapsed !== 0 ? Math.trunc(transferred / elapsed) : transferred;
    this.bytesPerSecond = this.bytesPerSecond !== 0 ? Math.trunc(this.bytesPerSecond * 0.9 + curSpeed * 0.1) : curSpeed;
    this.lastUpdate = now;
    if (this.winSize < 4) return;
    const fileLen = this.winSize - 36;
    let buf = fileLen > 0 ? this.file.slice(0, fileLen).padEnd(fileLen, " ") : "";
    const percent = this.endPos === 0 || this.curPos === this.endPos ? 100 : Math.trunc((this.curPos / this.endPos) * 100);
    buf += ` ${String(percent).padStart(3, " ")}% ${formatSize(this.curPos)} ${formatRate(this.bytesPerSecond)}/s `;
    if (!transferred) this.stalled += elapsed;
    else this.stalled = 0;
    if (this.stalled >= STALL_TIME) buf += "- stalled -";
    else if (this.bytesPerSecond === 0 && bytesLeft) buf += "  --:-- ETA";
    else {
      let seconds = Math.trunc(bytesLeft > 0 ? bytesLeft / this.bytesPerSecond : elapsed);
      const hours = Math.trunc(seconds / 3600);
      seconds -= hours * 3600;
      const minutes = Math.trunc(seconds / 60);
      seconds -= minutes * 60;
      const p2 = (n: number): string => String(n).padStart(2, "0");
      buf += hours !== 0 ? `${hours}:${p2(minutes)}:${p2(seconds)}` : `  ${p2(minutes)}:${p2(seconds)}`;
      buf += bytesLeft > 0 ? " ETA" : "    ";
    }
    this.out.write(`\r${buf}`.slice(0, this.winSize - 1));
  }
}
