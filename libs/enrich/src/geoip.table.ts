import { closeSync, openSync, readSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/**
 * geoip-lite's database (MaxMind GeoLite2 city data, shipped inside the package) kept as only
 * what the IP step reads: the country and the region of each address range. geoip-lite itself
 * holds its four files in memory whole (~110 MB: coordinates, time zones, city names), which put
 * the enricher above 280 MB RSS before its first lead. The files are read here in slices into
 * typed arrays, contiguous ranges of the same place merged, so the table takes a few MB; a lookup
 * is the same binary search over the range starts, and answers what geoip-lite's `lookup` does
 * for the country and region (ip-geo.step.spec compares the two).
 */

/** Record layouts of geoip-lite 2's data files (its lib/geoip.js). */
const V4_RECORD = 24; // floor u32, ceil u32, location id u32, coordinates and area
const V6_RECORD = 48; // floor 16 bytes, ceil 16 bytes, location id u32, coordinates and area
const LOCATION_RECORD = 88; // country 2 bytes, region 3 bytes, then metro, eu, time zone, city
const NO_LOCATION = 0xffffffff;
/** Records read per slice of a file. */
const SLICE_RECORDS = 16_384;

/** geoip-lite answers nothing for these (its privateRange4). */
const PRIVATE_V4: readonly (readonly [number, number])[] = [
  [0x0a000000, 0x0affffff],
  [0xac100000, 0xac1fffff],
  [0xc0a80000, 0xc0a8ffff],
];

export interface GeoPlace {
  country: string;
  /** The region's code within the country as geoip-lite gives it ('' when unknown). */
  region: string;
}

/** Growable column of unsigned ints. */
class Column {
  private data: Uint32Array = new Uint32Array(65_536);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(i: number): number {
    return this.data[i]!;
  }

  last(): number {
    return this.data[this.length - 1]!;
  }

  setLast(value: number): void {
    this.data[this.length - 1] = value;
  }

  /** The column trimmed to its length (the growth slack given back). */
  done(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** Calls `each` with every record of a file, read a slice at a time. */
function eachRecord(file: string, size: number, each: (buf: Buffer, at: number) => void): void {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(size * SLICE_RECORDS);
    for (;;) {
      const read = readSync(fd, buf, 0, buf.length, null);
      for (let at = 0; at + size <= read; at += size) each(buf, at);
      if (read < buf.length) return;
    }
  } finally {
    closeSync(fd);
  }
}

function text(buf: Buffer, start: number, end: number): string {
  const nul = buf.indexOf(0, start);
  return buf.toString('utf8', start, nul >= start && nul < end ? nul : end);
}

/**
 * Ranges of one address family as parallel columns: a range's start and end (two words each for
 * IPv6's upper 64 bits, which is all geoip-lite compares) and its place (index into `places`).
 */
interface Ranges {
  words: 1 | 2;
  starts: Uint32Array;
  ends: Uint32Array;
  places: Uint32Array;
}

export class GeoIpTable {
  private constructor(
    private readonly places: readonly GeoPlace[],
    private readonly v4: Ranges,
    private readonly v6: Ranges,
  ) {}

  /** Reads geoip-lite's data directory (GEODATADIR when set, as geoip-lite itself does). */
  static load(dataDir = defaultDataDir()): GeoIpTable {
    const placeIds = new Map<string, number>();
    const places: GeoPlace[] = [];
    const locationPlace = new Column();
    eachRecord(join(dataDir, 'geoip-city-names.dat'), LOCATION_RECORD, (buf, at) => {
      const country = text(buf, at, at + 2);
      const region = text(buf, at + 2, at + 5);
      const key = `${country}\u0000${region}`;
      let id = placeIds.get(key);
      if (id === undefined) {
        id = places.length;
        placeIds.set(key, id);
        places.push({ country, region });
      }
      locationPlace.push(id);
    });
    const placeOf = locationPlace.done();
    const v4 = readRanges(join(dataDir, 'geoip-city.dat'), V4_RECORD, 1, placeOf);
    const v6 = readRanges(join(dataDir, 'geoip-city6.dat'), V6_RECORD, 2, placeOf);
    return new GeoIpTable(places, v4, v6);
  }

  /** The place of an address as geoip-lite's lookup gives it; null where it gives none. */
  lookup(ip: string): GeoPlace | null {
    const version = isIP(ip);
    if (version === 4) return this.lookup4(aton4(ip));
    if (version !== 6) return null;
    const upper = ip.toUpperCase();
    for (const prefix of ['0:0:0:0:0:FFFF:', '::FFFF:']) {
      if (upper.startsWith(prefix)) return this.lookup4(aton4(upper.slice(prefix.length)));
    }
    const [hi, lo] = aton6Upper(ip);
    return this.find(this.v6, hi, lo);
  }

  private lookup4(ip: number): GeoPlace | null {
    for (const [from, to] of PRIVATE_V4) if (ip >= from && ip <= to) return null;
    return this.find(this.v4, ip, 0);
  }

  /** The range holding the address: the last start at or below it, if its end reaches it. */
  private find(r: Ranges, hi: number, lo: number): GeoPlace | null {
    const n = r.places.length;
    let low = 0;
    let high = n - 1;
    let hit = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (compare(r, r.starts, mid, hi, lo) <= 0) {
        hit = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (hit < 0 || compare(r, r.ends, hit, hi, lo) < 0) return null;
    return this.places[r.places[hit]!]!;
  }
}

/** Compares the column's entry `i` with the address: negative when the entry is below it. */
function compare(r: Ranges, column: Uint32Array, i: number, hi: number, lo: number): number {
  const a = column[i * r.words]!;
  if (a !== hi) return a < hi ? -1 : 1;
  if (r.words === 1) return 0;
  const b = column[i * 2 + 1]!;
  return b === lo ? 0 : b < lo ? -1 : 1;
}

/**
 * One family's ranges, in file order (sorted by start, not overlapping). Ranges without a
 * location are left out (geoip-lite answers them with an empty country, which the step takes as
 * no match), and a range that continues the one before it at the same place is merged into it.
 */
function readRanges(file: string, size: number, words: 1 | 2, placeOf: Uint32Array): Ranges {
  const starts = new Column();
  const ends = new Column();
  const places = new Column();
  eachRecord(file, size, (buf, at) => {
    const location = buf.readUInt32BE(at + (words === 1 ? 8 : 32));
    if (location === NO_LOCATION || location >= placeOf.length) return;
    const place = placeOf[location]!;
    const s0 = buf.readUInt32BE(at);
    const s1 = words === 2 ? buf.readUInt32BE(at + 4) : 0;
    const e0 = buf.readUInt32BE(at + (words === 1 ? 4 : 16));
    const e1 = words === 2 ? buf.readUInt32BE(at + 20) : 0;
    if (places.length > 0 && places.last() === place && follows(ends, words, s0, s1)) {
      if (words === 1) ends.setLast(e0);
      else {
        ends.setLast(e1);
        setSecondLast(ends, e0);
      }
      return;
    }
    starts.push(s0);
    ends.push(e0);
    if (words === 2) {
      starts.push(s1);
      ends.push(e1);
    }
    places.push(place);
  });
  return { words, starts: starts.done(), ends: ends.done(), places: places.done() };
}

/** Whether a range starting at (s0, s1) begins right after the last range's end. */
function follows(ends: Column, words: 1 | 2, s0: number, s1: number): boolean {
  if (words === 1) return ends.last() + 1 === s0;
  const e0 = ends.at(ends.length - 2);
  const e1 = ends.at(ends.length - 1);
  return e1 === 0xffffffff ? e0 + 1 === s0 && s1 === 0 : e0 === s0 && e1 + 1 === s1;
}

function setSecondLast(column: Column, value: number): void {
  column.length--;
  column.setLast(value);
  column.length++;
}

function aton4(ip: string): number {
  let n = 0;
  for (const octet of ip.split('.')) n = ((n << 8) | Number(octet)) >>> 0;
  return n;
}

/** The upper 64 bits of an IPv6 address as two words. */
function aton6Upper(ip: string): [number, number] {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [
    ...left,
    ...new Array<string>(8 - left.length - right.length).fill('0'),
    ...right,
  ];
  const g = groups.map((x) => parseInt(x, 16) || 0);
  return [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0];
}

function defaultDataDir(): string {
  const lib = join(dirname(require.resolve('geoip-lite/package.json')), 'lib');
  return resolve(lib, process.env['GEODATADIR'] || '../data/');
}
