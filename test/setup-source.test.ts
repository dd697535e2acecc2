// scripts/setup.sh adds bookworm-backports with the mirror and keyring of the machine's existing
// Debian source (scripts/debian-source.sh), not a fixed URL: deb822 and one-line sources, a
// proxy mirror, a source without Signed-By, disabled and security-only entries, and none at all.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(import.meta.dirname, '../scripts/debian-source.sh');
const dir = mkdtempSync(join(tmpdir(), 'fusion-apt-'));

function sourceOf(files: Record<string, string>): { status: number | null; stdout: string } {
  const paths = Object.entries(files).map(([name, text]) => {
    const path = join(dir, `${Object.keys(files).join('-')}-${name}`);
    writeFileSync(path, text);
    return path;
  });
  const r = spawnSync('bash', [script, 'bookworm', ...paths], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

describe('the Debian source setup.sh copies for bookworm-backports', () => {
  it('reads a deb822 stanza behind a proxy, skipping disabled, security and backports stanzas', () => {
    const r = sourceOf({
      'debian.sources': [
        'Types: deb', 'URIs: http://deb.debian.org/debian', 'Suites: bookworm-backports', 'Components: main', '',
        'Types: deb', 'URIs: http://old.mirror/debian', 'Suites: bookworm', 'Components: main', 'Enabled: no', '',
        '# the proxy', 'Types: deb deb-src', 'URIs: http://apt-cache.corp:3142/debian', 'Suites: bookworm bookworm-updates',
        'Components: main contrib', 'Signed-By: /etc/apt/keyrings/corp-debian.gpg', '',
        'Types: deb', 'URIs: http://security.debian.org/debian-security', 'Suites: bookworm-security', 'Components: main', '',
      ].join('\n'),
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('URIs: http://apt-cache.corp:3142/debian\nSigned-By: /etc/apt/keyrings/corp-debian.gpg\n');
  });

  it('reads a one-line entry with or without signed-by', () => {
    expect(sourceOf({ 'sources.list': '# deb http://x/debian bookworm main\ndeb [arch=amd64 signed-by=/usr/share/keyrings/mirror.gpg] https://mirror.example/debian bookworm main non-free\n' }).stdout)
      .toBe('URIs: https://mirror.example/debian\nSigned-By: /usr/share/keyrings/mirror.gpg\n');
    expect(sourceOf({ 'sources.list': 'deb http://ftp.de.debian.org/debian bookworm main\n' }).stdout).toBe('URIs: http://ftp.de.debian.org/debian\nSigned-By: \n');
  });

  it('fails when no enabled entry lists bookworm main', () => {
    expect(sourceOf({ 'sources.list': 'deb http://security.debian.org/debian-security bookworm-security main\ndeb http://x/debian bookworm contrib\n' }).status).toBe(1);
  });
});
