import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApiDocument } from '../../backend/src/api-document';

const root = path.join(__dirname, '../..');
const committed = path.join(root, 'nodes/shared/api-types.ts');

describe('the published API document and the nodes\' types generated from it', () => {
  it('the committed types are what `npm run generate:api-types` makes of the document the backend publishes now', async () => {
    const document = await buildApiDocument();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metabot-api-types-'));
    try {
      const fresh = path.join(dir, 'api-types.ts');
      execFileSync(process.execPath, ['scripts/api-types.mjs', fresh], { cwd: root, input: JSON.stringify(document) });
      // On a difference: the routes' documentation changed; run `npm run generate:api-types` and commit the file.
      expect(fs.readFileSync(committed, 'utf8')).toBe(fs.readFileSync(fresh, 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every operation has a camelCase operationId, unique across the document', async () => {
    const operations = Object.values((await buildApiDocument()).paths ?? {}).flatMap((item) => Object.values(item ?? {}));
    const ids = operations.map((operation) => (operation as { operationId?: string }).operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
