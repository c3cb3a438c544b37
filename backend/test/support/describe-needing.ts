/**
 * A suite that needs something installed outside npm (n8n, chromium). When it is missing the suite
 * fails with the command that installs it, instead of being skipped: `bash .ci/run` installs both.
 */
export function describeNeeding(installed: boolean, missing: string, name: string, body: () => void): void {
  describe(name, () => {
    if (installed) return body();
    it('has what it needs installed', () => {
      throw new Error(missing);
    });
  });
}
