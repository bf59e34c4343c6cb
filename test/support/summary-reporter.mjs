// node:test reporter that ends the run with one plain line: "N passed, N failed, N skipped".
// A run that executed no test fails.
export default async function* summary(source) {
	let passed = 0;
	let failed = 0;
	let skipped = 0;
	for await (const event of source) {
		if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
		const { data } = event;
		if (data.details?.type === 'suite') {
			// A suite fails on its own only when a hook or the file itself failed.
			if (event.type === 'test:fail' && data.details?.error?.failureType !== 'subtestsFailed') failed++;
			continue;
		}
		if (data.skip !== undefined && data.skip !== false) skipped++;
		else if (data.todo !== undefined && data.todo !== false) skipped++;
		else if (event.type === 'test:pass') passed++;
		else failed++;
	}
	if (passed + failed === 0) {
		yield 'no tests ran: 0 passed, 0 failed\n';
		process.exitCode = 1;
		return;
	}
	yield `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
