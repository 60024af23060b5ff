import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const root = join(import.meta.dirname, '../..');

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, with line continuations joined and `ARG` defaults substituted in `FROM`. */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args.set(name!.trim(), value.trim());
    } else if (upper === 'FROM') {
      const [image = '', as, name] = rest.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? '').split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), from: image, instructions: [] });
    } else if (stages.length > 0) stages.at(-1)!.instructions.push({ keyword: upper, args: rest });
  }
  return stages;
}

export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}

/** `COPY [--from=stage] [--chown=...] src... dest`, shell or JSON form. */
export function parseCopy(args: string): Copy {
  const tokens = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = tokens.filter((token) => token.startsWith('--'));
  const paths = tokens.filter((token) => !token.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

export const copiesOf = (stage: Stage): Copy[] => stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => parseCopy(i.args));
export const runsOf = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args.replace(/\s+/g, ' '));

/** `.dockerignore` as Docker reads it: the last matching pattern wins, `!` re-includes, a matched directory covers its files. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/');
      return { include, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
    let ignored = false;
    for (const rule of rules) if (prefixes.some((prefix) => rule.regex.test(prefix))) ignored = !rule.include;
    return ignored;
  };
}

/** Every file under `path` (relative to the repository) that the build context keeps. */
export function contextFiles(path: string, ignored: (path: string) => boolean): string[] {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return ignored(path) ? [] : [path];
  return readdirSync(full).flatMap((name) => contextFiles(path === '.' ? name : `${path}/${name}`, ignored));
}

/** Does what `COPY src... dest` does with the build context, into `workdir` standing for the image's WORKDIR. */
export function copyFromContext(copy: Copy, workdir: string, ignored: (path: string) => boolean): void {
  const intoDirectory = copy.destination.endsWith('/') || copy.sources.length > 1;
  for (const source of copy.sources) {
    const isDirectory = statSync(join(root, source)).isDirectory();
    for (const file of contextFiles(source, ignored)) {
      const inside = isDirectory ? relative(source, file) : intoDirectory ? file.split('/').at(-1)! : '';
      const target = join(workdir, copy.destination, inside);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, file), target);
    }
  }
}

export const readRepoFile = (path: string): string => readFileSync(join(root, path), 'utf8');
