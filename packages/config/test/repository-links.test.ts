import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The repository documents itself: no tracked file points outside it (the team's shared folder
// beside the checkout is not something a user who clones it has), and every relative link in
// its Markdown leads to a file that exists in it.

const root = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const textFiles = tracked.filter((file) => /\.(md|ts|json|ya?ml|toml|sh|sql|prisma)$|(^|\/)(Dockerfile|run)$/.test(file) && !file.endsWith('package-lock.json'));

describe('the repository documents itself', () => {
  it('has no tracked file that points at ../shared', () => {
    const outside = textFiles.filter((file) => file !== 'packages/config/test/repository-links.test.ts' && readFileSync(join(root, file), 'utf8').includes('../shared'));
    expect(outside).toEqual([]);
  });

  it('has Markdown links that stay inside the repository and lead to files that exist', () => {
    const broken: string[] = [];
    for (const file of tracked.filter((each) => each.endsWith('.md'))) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = resolve(root, dirname(file), target!.split('#')[0]!);
        if (relative(root, path).startsWith('..') || !existsSync(path)) broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
