import { describe, expect, it } from 'vitest';
import { tokenNotice } from '../../src/http/tokens.js';

const generated = {
  tokens: [
    { name: 'officer', role: 'officer' as const, secret: 'officer-generated-secret-0123' },
    { name: 'viewer', role: 'viewer' as const, secret: 'viewer-generated-secret-01234' },
  ],
  file: '/data/api-tokens.json',
  created: true,
};

describe('the notice about generated tokens', () => {
  it('shows the tokens to a terminal', () => {
    const notice = tokenNotice(generated, 'http://127.0.0.1:3000', true);
    expect(notice).toContain('Authorization: Bearer officer-generated-secret-0123');
    expect(notice).toContain('Authorization: Bearer viewer-generated-secret-01234');
  });

  it('gives only where they are and how to read them when stderr is a file or a pipe (docker logs)', () => {
    const notice = tokenNotice(generated, 'http://127.0.0.1:3000', false);
    for (const { secret } of generated.tokens) expect(notice).not.toContain(secret);
    expect(notice).toContain('generated tokens kept in /data/api-tokens.json (mode 0600)');
    expect(notice).toContain('read them with: cat /data/api-tokens.json');
  });
});
