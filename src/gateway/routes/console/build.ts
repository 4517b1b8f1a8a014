import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../console');

export interface ConsoleAssets {
  js: string;
  css: string;
}

/**
 * The console's TypeScript and CSS (src/console/, with uPlot from node_modules) bundled in memory by esbuild: one
 * script and one stylesheet, served from this origin (helmet's CSP allows same-origin scripts only). Takes a
 * fraction of a second; nothing is written to disk or fetched.
 */
export function buildConsoleAssets(): Promise<ConsoleAssets> {
  // Once per process, however many apps it creates (the tests create one per file).
  built ??= bundle();
  return built;
}

let built: Promise<ConsoleAssets> | undefined;

async function bundle(): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: { app: path.join(SOURCE, 'main.ts'), style: path.join(SOURCE, 'styles.css') },
    bundle: true,
    write: false,
    outdir: '/console',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const output = (name: string) => {
    const file = result.outputFiles.find((candidate) => path.basename(candidate.path) === name);
    if (!file) throw new Error(`console build produced no ${name}`);
    return file.text;
  };
  return { js: output('app.js'), css: output('style.css') };
}
