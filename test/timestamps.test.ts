import { types } from "pg";
import { parseJsonTimestamp, parseTimestamptzColumn } from "../src/core/db/timestamps";
import { useTestService } from "./support/harness";

/**
 * The timestamptz parser reads by position what the driver's parser (postgres-date) and
 * `new Date` read, to the millisecond, and leaves every other form to them. Seeded:
 * TIMESTAMP_SEED=<seed> replays a run.
 */

/** The driver's own parser of timestamptz text (postgres-date). */
const parseDate = types.getTypeParser(types.builtins.TIMESTAMPTZ, "text") as (text: string) => Date | number | null;

const SEED = Number(process.env.TIMESTAMP_SEED ?? Math.floor(Math.random() * 2 ** 31));

function random(seed: number) {
  let a = seed >>> 0;
  return (max: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

const FIRST = Date.UTC(1000, 0, 1);
const LAST = Date.UTC(9999, 11, 31, 23, 59, 59);

/** PostgreSQL's text of a UTC timestamp (any day, leap days and months' ends included) with `fraction` digits after the second (0 to 6). */
function text(int: (max: number) => number, fraction: number, separator: " " | "T", zone: "+00" | "+00:00"): string {
  const seconds = new Date(FIRST + int((LAST - FIRST) / 1000) * 1000).toISOString().slice(0, 19);
  const digits = Array.from({ length: fraction }, () => int(10)).join("");
  return `${seconds.replace("T", separator)}${fraction > 0 ? `.${digits}` : ""}${zone}`;
}

describe("timestamptz parsing", () => {
  it(`reads the driver's form as postgres-date does, and JSON's as new Date does (seed ${SEED})`, () => {
    const int = random(SEED);
    const differing: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const fraction = int(7);
      const column = text(int, fraction, " ", "+00");
      if (parseTimestamptzColumn(column).getTime() !== (parseDate(column) as Date).getTime()) differing.push(column);
      const json = text(int, fraction, "T", "+00:00");
      if (parseJsonTimestamp(json).getTime() !== new Date(json).getTime()) differing.push(json);
    }
    expect(differing).toEqual([]);
  });

  it("keeps the millisecond of every fraction, and reads the calendar's edges, as the driver does", () => {
    const days = ["2026-11-27", "2024-02-29", "2000-02-29", "1900-02-28", "1900-03-01", "2100-03-01", "1000-01-01", "9999-12-31", "1970-01-01", "1969-12-31"];
    for (const day of days) {
      for (const time of ["00:00:00", "23:59:59", "21:04:46.5", "21:04:46.57", "21:04:46.570", "21:04:46.999", "21:04:46.9999", "21:04:46.123456", "21:04:46.000001"]) {
        const column = `${day} ${time}+00`;
        expect(parseTimestamptzColumn(column).toISOString()).toBe((parseDate(column) as Date).toISOString());
      }
    }
  });

  it("leaves every other form to the driver's parser and to new Date", () => {
    const others = [
      "infinity",
      "-infinity",
      "2026-11-27 21:04:46+01",
      "2026-11-27 21:04:46+00:30",
      "1850-01-01 00:00:00+00:09:21",
      "2026-11-27 21:04:46.123-05:30",
      "0099-03-15 12:00:00+00",
      "0044-03-15 12:00:00+00 BC",
      "12026-11-27 21:04:46+00",
      "2026-11-27 21:04:46.1234567+00",
      "2026-11-27 21:04:46.+00",
      "2026-11-27 21:04:4x+00",
    ];
    for (const other of others) {
      const driver = parseDate(other) as Date | number | null;
      const read = parseTimestamptzColumn(other) as Date | number | null;
      expect([other, read instanceof Date ? read.getTime() : read]).toEqual([other, driver instanceof Date ? driver.getTime() : driver]);
    }
    for (const other of ["2026-11-27T21:04:46+01:00", "2026-11-27T21:04:46+00:30", "2026-11-27T21:04:46Z", "0099-03-15T12:00:00+00:00"]) {
      expect([other, parseJsonTimestamp(other).getTime()]).toEqual([other, new Date(other).getTime()]);
    }
  });
});

describe("timestamptz columns, read from PostgreSQL", () => {
  const service = useTestService();

  it("are read by parseTimestamptzColumn in the service's sessions", async () => {
    const runner = service.db.createQueryRunner();
    try {
      const client = (await runner.connect()) as { getTypeParser(oid: number, format: string): unknown };
      expect(client.getTypeParser(1184, "text")).toBe(parseTimestamptzColumn);
    } finally {
      await runner.release();
    }
  });

  it("come as the Dates PostgreSQL's own epoch gives, in the service's sessions and inside JSON", async () => {
    const rows = await service.db.query(
      `SELECT t AS column, json_build_array(t) AS json, (extract(epoch FROM t) * 1000)::float8 AS epoch_ms
         FROM (VALUES ('2026-11-27 21:04:46.123456+00'::timestamptz), ('1999-12-31 23:59:59+00'), ('2026-11-27 21:04:46.5+03'), ('0099-03-15 12:00:00.25+00')) AS v(t)`,
    );
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row.column).toBeInstanceOf(Date);
      expect(row.column.getTime()).toBe(Math.floor(row.epoch_ms));
      expect(parseJsonTimestamp(row.json[0]).getTime()).toBe(Math.floor(row.epoch_ms));
    }
  });
});
