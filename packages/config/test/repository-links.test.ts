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

// The team's own folder beside the repository, which users never get. Spelt in pieces so that this
// file, the one that looks for it, does not contain it either.
const TEAM_FOLDER = ['..', 'shared'].join('/');

describe('the repository documents itself', () => {
  it("has no tracked file that points at the team's folder beside the repository", () => {
    const outside = textFiles.filter((file) => readFileSync(join(root, file), 'utf8').includes(TEAM_FOLDER));
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
