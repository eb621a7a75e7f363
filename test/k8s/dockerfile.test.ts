import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * No container engine runs on the project's machines, so the image is not built here; this holds
 * the Dockerfile to what the build and the manifests rely on instead.
 */

type Instruction = { keyword: string; args: string };
type Stage = { from: string; name?: string; instructions: Instruction[] };

/** The Dockerfile's stages and their instructions (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [, from = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`${keyword} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

const dockerfile = readFileSync('Dockerfile', 'utf8');
const stages = parseDockerfile(dockerfile);
const [build, runtime] = [stages[0]!, stages.at(-1)!];
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const last = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string>; scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('Dockerfile', () => {
  it('builds in one stage with every dependency and runs from a slim Node 24 stage with production ones only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe('build');
    expect(runs(build)).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b(?!.*--omit)/), 'npm run build']));
    expect(runtime.from).toMatch(/^node:24-(bookworm-)?slim$/);
    expect(runs(runtime).some((r) => /^npm ci --omit=dev\b/.test(r))).toBe(true);
    expect(runs(runtime).some((r) => /npm run build|npm ci(?! --omit=dev)/.test(r))).toBe(false);
  });

  it('runs as a numeric non-root user', () => {
    const user = last(runtime, 'USER');
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user!.split(':')[0])).toBeGreaterThan(0);
  });

  it('copies all of dist/ and the migration folders the runtime reads, and starts what `npm run build` writes', () => {
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(expect.arrayContaining(['--from=build /app/dist ./dist', '--from=build /app/drizzle ./drizzle', '--from=build /app/clickhouse ./clickhouse']));
    expect(copies.some((c) => /^package\.json package-lock\.json \.\/$/.test(c))).toBe(true);
    expect(existsSync('drizzle') && existsSync('clickhouse/migrations')).toBe(true);

    const cmd = JSON.parse(last(runtime, 'CMD')!) as string[];
    expect(cmd).toEqual(['node', 'dist/src/main.js', 'serve']);
    // `npm run build` is tsc with outDir dist and rootDir ., so src/main.ts lands in dist/src/main.js (also the bin).
    expect(pkg.scripts.build).toMatch(/tsc -b tsconfig\.build\.json/);
    const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(join(tsconfig.compilerOptions.outDir, relative(tsconfig.compilerOptions.rootDir, 'src/main.ts')).replace(/\.ts$/, '.js')).toBe(cmd[1]);
    expect(pkg.bin['llm-lab']).toBe(cmd[1]);
  });

  it('exposes PORT and METRICS_PORT', () => {
    expect(last(runtime, 'EXPOSE')!.split(/\s+/).map(Number).sort()).toEqual([4000, 9464]);
  });

  it('keeps dependencies, local data and env files out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.lab', '.git', '.env', '*.env']));
    // Whatever `npm run build` reads must stay in the context.
    for (const needed of ['src', 'console', 'schema', 'drizzle', 'clickhouse', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(ignored, needed).not.toContain(needed);
    }
  });

  // The runtime stage has production dependencies only: a module src/ imports from a devDependency would crash the image at start.
  it('src/ imports at run time only production dependencies', () => {
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const file of sourceFiles('src')) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
        const specifier = match[1] ?? match[2]!;
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!pkg.dependencies[name]) offenders.push(`${file}: ${specifier}${pkg.devDependencies[name] ? ' (a devDependency)' : ' (not a dependency)'}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}
