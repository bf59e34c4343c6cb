// npm run readme:toc: rewrites README.md's table of contents from its ## and ### headings.
import { readFileSync, writeFileSync } from 'node:fs';
import { withToc } from './readme.ts';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withToc(before);
if (after === before) console.log('README.md: table of contents is up to date');
else {
	writeFileSync(path, after);
	console.log('README.md: table of contents updated');
}
