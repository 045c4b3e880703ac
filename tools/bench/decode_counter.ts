/**
 * What the decode-only child processes share: decoding a message value (UTF-8 + JSON.parse, as the
 * workers do) and printing `{"decoded":N,"fields":F}` every 50 ms while the count moves.
 */
const decoder = new TextDecoder("utf-8", { fatal: true });

export class DecodeCounter {
  decoded = 0;
  /** Fields seen, so that the JIT cannot drop the parse as unused. */
  fields = 0;
  private reported = -1;
  private readonly report = setInterval(() => {
    if (this.decoded === this.reported) return;
    this.reported = this.decoded;
    console.log(JSON.stringify({ decoded: this.decoded, fields: this.fields }));
  }, 50);

  decode(value: Uint8Array | null | undefined): void {
    const parsed = JSON.parse(decoder.decode(value ?? new Uint8Array())) as Record<string, unknown>;
    this.fields += Object.keys(parsed).length;
    this.decoded += 1;
  }

  stop(): void {
    clearInterval(this.report);
  }
}
