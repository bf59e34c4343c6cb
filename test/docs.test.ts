// Every public export (of every package entry point) has TSDoc with an @example.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { types?: string } | string> };
const entryPoints = Object.entries(pkg.exports)
	.filter(([, target]) => typeof target === 'object' && target.types !== undefined)
	.map(([subpath, target]) => ({
		subpath,
		file: `${root}${(target as { types: string }).types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')}`,
	}));

describe('API documentation', () => {
	const program = ts.createProgram(
		entryPoints.map((e) => e.file),
		{ module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true },
	);
	const checker = program.getTypeChecker();

	for (const { subpath, file } of entryPoints) {
		it(`"${subpath}" is named by its import path in the API reference (@module)`, () => {
			const name = subpath === '.' ? 'polku' : `polku${subpath.slice(1)}`;
			const head = /^(?:\/\/\/.*\n)*\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, 'utf8'));
			assert.ok(head, `${file} starts without a doc comment (@module ${name} @packageDocumentation)`);
			assert.match(head[1]!, new RegExp(`@module ${name.replace('/', '\\/')}\\s`), `${file}: its first doc comment needs @module ${name}`);
			assert.match(head[1]!, /@packageDocumentation/);
		});

		it(`every export of "${subpath}" has TSDoc with an @example`, () => {
			const source = program.getSourceFile(file);
			assert.ok(source, `entry point ${file} not found`);
			const moduleSymbol = checker.getSymbolAtLocation(source);
			assert.ok(moduleSymbol, `${file} is not a module`);
			const missing: string[] = [];
			for (const exported of checker.getExportsOfModule(moduleSymbol)) {
				const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
				const declarations = symbol.getDeclarations() ?? [];
				const documented = declarations.some((d) => ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'));
				if (!documented) missing.push(exported.getName());
			}
			assert.deepEqual(missing, [], `exports of "${subpath}" without an @example`);
		});
	}
});
