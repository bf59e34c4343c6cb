// A strict parser of the Prometheus text exposition format 0.0.4, for tests:
// it throws on anything the format does not allow, and checks histograms.

export interface ParsedSample {
	readonly name: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly value: number;
}

export interface ParsedFamily {
	readonly name: string;
	help: string | undefined;
	type: string | undefined;
	readonly samples: ParsedSample[];
}

export type Exposition = ReadonlyMap<string, ParsedFamily>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

export function parseExposition(text: string): Exposition {
	if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a line feed');
	const families = new Map<string, ParsedFamily>();
	const closed = new Set<string>();
	const series = new Set<string>();
	let current: ParsedFamily | undefined;
	const enter = (name: string, lineNo: number): ParsedFamily => {
		if (current?.name === name) return current;
		if (current !== undefined) closed.add(current.name);
		if (closed.has(name)) throw new Error(`line ${lineNo}: family ${name} is not contiguous`);
		let family = families.get(name);
		if (family === undefined) families.set(name, (family = { name, help: undefined, type: undefined, samples: [] }));
		current = family;
		return family;
	};
	const lines = text.split('\n');
	lines.pop();
	lines.forEach((line, i) => {
		const lineNo = i + 1;
		if (line.trim() === '') return;
		if (line.startsWith('#')) {
			const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
			if (m === null) return; // a plain comment
			const [, keyword, name, rest] = m as unknown as [string, string, string, string];
			if (METRIC_NAME.exec(name)?.[0] !== name) throw new Error(`line ${lineNo}: bad metric name ${name}`);
			const family = enter(name, lineNo);
			if (keyword === 'HELP') {
				if (family.help !== undefined) throw new Error(`line ${lineNo}: second HELP for ${name}`);
				family.help = unescape(rest, false, lineNo);
			} else {
				if (family.type !== undefined) throw new Error(`line ${lineNo}: second TYPE for ${name}`);
				if (family.samples.length > 0) throw new Error(`line ${lineNo}: TYPE after samples of ${name}`);
				if (!TYPES.has(rest)) throw new Error(`line ${lineNo}: bad type ${rest}`);
				family.type = rest;
			}
			return;
		}
		const sample = parseSample(line, lineNo);
		const familyName = familyOf(sample.name, current, families);
		const family = enter(familyName, lineNo);
		const key = `${sample.name}{${Object.entries(sample.labels)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([k, v]) => `${k}=${JSON.stringify(v)}`)
			.join(',')}}`;
		if (series.has(key)) throw new Error(`line ${lineNo}: duplicate series ${key}`);
		series.add(key);
		family.samples.push(sample);
	});
	for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
	return families;
}

function familyOf(sampleName: string, current: ParsedFamily | undefined, families: Map<string, ParsedFamily>): string {
	for (const suffix of HISTOGRAM_SUFFIXES) {
		if (!sampleName.endsWith(suffix)) continue;
		const base = sampleName.slice(0, -suffix.length);
		if (families.get(base)?.type === 'histogram' || (current?.name === base && current.type === 'histogram')) return base;
	}
	return sampleName;
}

function parseSample(line: string, lineNo: number): ParsedSample {
	const name = METRIC_NAME.exec(line)?.[0];
	if (name === undefined) throw new Error(`line ${lineNo}: no metric name in ${JSON.stringify(line)}`);
	let at = name.length;
	const labels: Record<string, string> = {};
	if (line[at] === '{') {
		at++;
		while (line[at] !== '}') {
			const label = LABEL_NAME.exec(line.slice(at))?.[0];
			if (label === undefined) throw new Error(`line ${lineNo}: bad label name at ${at}`);
			if (Object.hasOwn(labels, label)) throw new Error(`line ${lineNo}: duplicate label ${label}`);
			at += label.length;
			if (line.slice(at, at + 2) !== '="') throw new Error(`line ${lineNo}: expected =" after ${label}`);
			at += 2;
			let raw = '';
			while (line[at] !== '"') {
				if (at >= line.length) throw new Error(`line ${lineNo}: unterminated label value`);
				if (line[at] === '\\') {
					raw += line.slice(at, at + 2);
					at += 2;
				} else raw += line[at++];
			}
			at++;
			labels[label] = unescape(raw, true, lineNo);
			if (line[at] === ',') at++;
			else if (line[at] !== '}') throw new Error(`line ${lineNo}: expected , or } at ${at}`);
		}
		at++;
	}
	const rest = line.slice(at);
	const m = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
	if (m === null) throw new Error(`line ${lineNo}: bad value part ${JSON.stringify(rest)}`);
	return { name, labels, value: parseValue(m[1]!, lineNo) };
}

function parseValue(text: string, lineNo: number): number {
	if (text === 'NaN') return NaN;
	if (text === '+Inf') return Infinity;
	if (text === '-Inf') return -Infinity;
	if (!FLOAT.test(text)) throw new Error(`line ${lineNo}: bad value ${text}`);
	return Number(text);
}

function unescape(raw: string, quoted: boolean, lineNo: number): string {
	return raw.replace(/\\(.?)/g, (_, c: string) => {
		if (c === '\\') return '\\';
		if (c === 'n') return '\n';
		if (c === '"' && quoted) return '"';
		throw new Error(`line ${lineNo}: bad escape \\${c}`);
	});
}

function checkHistogram(family: ParsedFamily): void {
	const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
	for (const s of family.samples) {
		const { le, ...rest } = s.labels;
		const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
		let g = groups.get(key);
		if (g === undefined) groups.set(key, (g = { buckets: [] }));
		if (s.name === `${family.name}_bucket`) {
			if (le === undefined) throw new Error(`${family.name}: bucket without le`);
			g.buckets.push([parseValue(le, 0), s.value]);
		} else if (le !== undefined) throw new Error(`${family.name}: le on ${s.name}`);
		else if (s.name === `${family.name}_sum`) g.sum = s.value;
		else if (s.name === `${family.name}_count`) g.count = s.value;
		else throw new Error(`${family.name}: unexpected sample ${s.name}`);
	}
	for (const [key, g] of groups) {
		for (let i = 1; i < g.buckets.length; i++) {
			const [le0, c0] = g.buckets[i - 1]!;
			const [le1, c1] = g.buckets[i]!;
			if (!(le1 > le0)) throw new Error(`${family.name}${key}: le not increasing`);
			if (c1 < c0) throw new Error(`${family.name}${key}: buckets not cumulative`);
		}
		const last = g.buckets.at(-1);
		if (last === undefined || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
		if (g.count === undefined || g.sum === undefined) throw new Error(`${family.name}${key}: _sum or _count missing`);
		if (last[1] !== g.count) throw new Error(`${family.name}${key}: +Inf bucket ${last[1]} != _count ${g.count}`);
	}
}

/** The value of the one sample named `name` whose labels are exactly `labels`. */
export function sampleValue(doc: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
	const wanted = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
	const found: number[] = [];
	for (const family of doc.values()) {
		for (const s of family.samples) {
			if (s.name === name && JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b))) === wanted) found.push(s.value);
		}
	}
	if (found.length !== 1) throw new Error(`${found.length} samples ${name}${wanted}`);
	return found[0]!;
}

/** Every sample as `name{sorted labels}` → value. */
export function sampleMap(doc: Exposition): Map<string, number> {
	const map = new Map<string, number>();
	for (const family of doc.values()) {
		for (const s of family.samples) {
			map.set(`${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)))}`, s.value);
		}
	}
	return map;
}
