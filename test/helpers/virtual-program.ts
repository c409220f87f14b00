/**
 * A TypeScript program over virtual files (path → source, nothing written) plus the real ones
 * they import: for tests that type-check snippets where they would live in the repo.
 */
import ts from 'typescript';

/** The program of `files` (`kind` says how their text is parsed) compiled with `options`. */
export function virtualProgram(files: ReadonlyMap<string, string>, options: ts.CompilerOptions, kind: ts.ScriptKind): ts.Program {
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => files.get(f) ?? readFile(f);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = files.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, lang, true, kind) : getSourceFile(f, lang, ...rest);
  };
  return ts.createProgram([...files.keys()], options, host);
}
