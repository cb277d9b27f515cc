import path from "node:path";
import { compareVariables, loadCompareQueries, parseCompareQueries, resolveTemplate, TemplateScope } from "../bench/compare";
import { Dataset } from "../bench/dataset";
import { Measurement } from "../bench/measurement";
import { CpuWindow, parseStatCpuTicks } from "../bench/process-cpu";
import { Catalog, RecordSet } from "../bench/records";
import { correlate } from "../bench/replay";
import type { CapturedStatement } from "../bench/capture";
import { CompareRow, compareMarks, judgeTargets, mark, renderMarkdown, Report, ResultRow, rowMarks, statementBudget } from "../bench/report";
import { workloads } from "../bench/workloads";
import type { QueryArrayResult } from "pg";

/** The bench's pure logic: no timings, no server. */

// /proc/<pid>/stat of a PostgreSQL backend, as Linux writes it: pid (comm) state ppid … utime stime …
const STAT = "4242 (postgres) S 800 800 800 0 -1 4194560 1201 0 0 0 37 5 0 0 20 0 1 0 123456 221184000 3000 18446744073709551615";

function measurement(overrides: Partial<Measurement> = {}): Measurement {
  return {
    requests: 1_000,
    seconds: 10,
    requestsPerSecond: 100,
    p50Ms: 10,
    p99Ms: 20,
    errors: 0,
    firstError: null,
    sql: { min: 2, max: 2, mean: 2 },
    cpuMsPerRequest: 5,
    pgCpuMsPerRequest: 1,
    ...overrides,
  };
}

function row(workload: string, connections: number, service: Partial<Measurement> = {}, peakRssMb: number | null = 120): ResultRow {
  return { workload, connections, service: measurement(service), peakRssMb, baseline: null, ratio: null };
}

describe("CPU time from /proc", () => {
  it("adds utime and stime, the 14th and 15th fields", () => {
    expect(parseStatCpuTicks(STAT)).toBe(42);
  });

  it("counts fields after the last ') ', so a command name with spaces and parentheses does not shift them", () => {
    expect(parseStatCpuTicks(STAT.replace("(postgres)", "(postgres: postgres dealgraph (1) idle)"))).toBe(42);
  });

  it("gives null for text that is not a stat line", () => {
    expect(parseStatCpuTicks("")).toBeNull();
    expect(parseStatCpuTicks("4242 (postgres) S 800")).toBeNull();
  });
});

describe("the CPU of a set of backends over a window", () => {
  it("sums each backend's ticks since the start of the window", () => {
    const window = new CpuWindow(new Map([[1, 100], [2, 50]]));
    window.observe(new Map([[1, 130], [2, 55]]));
    expect(window.ticks()).toBe(35);
  });

  it("counts a backend first seen during the window from zero: the start's set was complete, so it was born in the window", () => {
    const window = new CpuWindow(new Map([[1, 100]]));
    window.observe(new Map([[1, 110], [7, 4]]));
    window.observe(new Map([[1, 120], [7, 9]]));
    expect(window.ticks()).toBe(29);
    expect(window.processes()).toBe(2);
  });

  it("keeps a backend that exited at its last reading", () => {
    const window = new CpuWindow(new Map([[1, 100], [2, 10]]));
    window.observe(new Map([[1, 105], [2, 30]]));
    window.observe(new Map([[1, 108]]));
    expect(window.ticks()).toBe(28);
  });

  it("takes a pid whose ticks fell below its start for a new process with that pid", () => {
    const window = new CpuWindow(new Map([[1, 100]]));
    window.observe(new Map([[1, 3]]));
    expect(window.ticks()).toBe(3);
  });
});

describe("issue 12's marks", () => {
  it("gives each kind of workload its SQL statement budget, and none to others", () => {
    expect(statementBudget("referralOpportunities(first: 100)")).toBe(3);
    expect(statementBudget("people(first: 100)")).toBe(3);
    expect(statementBudget("referralOpportunities(search: \"acme\", first: 100)")).toBe(3);
    expect(statementBudget("referralOpportunity(id)")).toBe(2);
    expect(statementBudget("createReferralOpportunity")).toBe(3);
    expect(statementBudget("updateReferralOpportunity")).toBe(3);
    expect(statementBudget("moveDeal")).toBe(3);
    expect(statementBudget("dealBoard")).toBeNull();
  });

  it("marks the statement count against the most statements any request sent", () => {
    expect(rowMarks(row("referralOpportunity(id)", 1, { sql: { min: 2, max: 2, mean: 2 } })).statements).toBe(true);
    expect(rowMarks(row("referralOpportunity(id)", 1, { sql: { min: 2, max: 3, mean: 2.5 } })).statements).toBe(false);
    expect(rowMarks(row("dealBoard", 1)).statements).toBeNull();
    expect(rowMarks(row("moveDeal", 1, { sql: null })).statements).toBeNull();
  });

  it("marks p99 within 3× p50 at 10 connections only", () => {
    expect(rowMarks(row("moveDeal", 10, { p50Ms: 10, p99Ms: 30 })).p99).toBe(true);
    expect(rowMarks(row("moveDeal", 10, { p50Ms: 10, p99Ms: 30.1 })).p99).toBe(false);
    expect(rowMarks(row("moveDeal", 1, { p50Ms: 10, p99Ms: 90 })).p99).toBeNull();
  });

  it("marks the service's peak RSS under 250 MB", () => {
    expect(rowMarks(row("moveDeal", 10, {}, 249.9)).rss).toBe(true);
    expect(rowMarks(row("moveDeal", 10, {}, 250)).rss).toBe(false);
    expect(rowMarks(row("moveDeal", 10, {}, null)).rss).toBeNull();
  });

  it("marks dealgraph against the compared endpoint: at least 1.0× its req/s, at most its Node CPU per request", () => {
    const compared = (a: Partial<Measurement>, b: Partial<Measurement>): CompareRow => ({
      workload: "people(first: 100)",
      connections: 10,
      dealgraph: measurement(a),
      other: measurement(b),
    });
    expect(compareMarks(compared({ requestsPerSecond: 100 }, { requestsPerSecond: 100 }))).toEqual({ ratio: 1, faster: true, leaner: true });
    expect(compareMarks(compared({ requestsPerSecond: 99, cpuMsPerRequest: 6 }, { requestsPerSecond: 100, cpuMsPerRequest: 5 }))).toEqual({
      ratio: 0.99,
      faster: false,
      leaner: false,
    });
    expect(compareMarks(compared({}, { cpuMsPerRequest: null })).leaner).toBeNull();
    expect(compareMarks(compared({}, { requestsPerSecond: 0 })).ratio).toBeNull();
  });

  it("puts ✓ or ✗ after a figure a target applies to, and nothing where none does", () => {
    expect(mark(true)).toBe(" ✓");
    expect(mark(false)).toBe(" ✗");
    expect(mark(null)).toBe("");
  });

  it("lists each budget, each comparison and the RSS limit among the targets", () => {
    const rows = [row("referralOpportunity(id)", 1), row("referralOpportunity(id)", 10, { sql: { min: 6, max: 7, mean: 6.5 } })];
    const compare: CompareRow[] = [{ workload: "referralOpportunity(id)", connections: 10, dealgraph: measurement(), other: measurement({ requestsPerSecond: 200 }) }];
    const targets = judgeTargets(rows, [], 300, compare);
    const find = (start: string) => targets.find((target) => target.target.startsWith(start));
    expect(find("referralOpportunity(id): at most 2 SQL statements")).toMatchObject({ met: false, detail: "6–7 (6.5)" });
    expect(find("referralOpportunity(id) @10 ≥ 1.0×")).toMatchObject({ met: false, detail: "0.50×" });
    expect(find("referralOpportunity(id) @10 at most")).toMatchObject({ met: true });
    expect(find("service peak RSS under 250 MB")).toMatchObject({ met: false, detail: "300 MB" });
    expect(find("p99 within 3× p50 at 10 connections")).toMatchObject({ met: true });
  });

  it("prints both CPU figures and the marks in the table, and the side-by-side table when there is one", () => {
    const rows = [row("referralOpportunity(id)", 10, { cpuMsPerRequest: 4.25, pgCpuMsPerRequest: 1.5, p99Ms: 50 })];
    const compare: CompareRow[] = [
      { workload: "referralOpportunity(id)", connections: 10, dealgraph: measurement(), other: measurement({ requestsPerSecond: 80, cpuMsPerRequest: 7 }) },
    ];
    const report: Report = {
      date: "2026-11-28T00:00:00.000Z",
      node: "20.20.2",
      cpus: 2,
      quick: true,
      secondsPerRun: 1,
      poolMax: 10,
      dataset: { size: { companies: 1, people: 1, products: 1, sites: 1, referrals: 1, opportunities: 1 }, rows: {}, loadSeconds: 1 },
      service: { peakRssMb: 120 },
      rows,
      pageSizeChecks: [],
      notes: [],
      targets: judgeTargets(rows, [], 120, compare),
      compare: { url: "http://127.0.0.1:5678/graphql", queries: "bench/postgraphile/queries.json", pid: 77, rounds: 3, rows: compare },
    };
    const text = renderMarkdown(report);
    expect(text).toContain("| referralOpportunity(id) | 10 | 100 | 10.0 | 50.0 ✗ | 0 | 2 ✓ | 4.25 | 1.50 | 120 ✓ |");
    expect(text).toContain("## Side by side: dealgraph (A) and http://127.0.0.1:5678/graphql (B)");
    expect(text).toContain("| referralOpportunity(id) | 10 | 100 | 80.0 | 1.25× ✓ | 10.0 | 10.0 | 20.0 | 20.0 | 5.00 ✓ | 7.00 | 1.00 | 1.00 | 0 | 0 |");
  });
});

describe("the compare file's templates", () => {
  const scope: TemplateScope = {
    vars: { id: "deal-1", input: { stage: "QUALIFIED", priority: "HIGH", contactId: undefined } },
    facts: { organizationId: "org-1", salesStageIds: { QUALIFIED: "stage-q" } },
    i: 7,
    uuid: "new-uuid",
  };

  it("looks up $paths in the workload's variables, the facts, the request's number and uuid, at any depth", () => {
    expect(
      resolveTemplate({ organizationId: "$facts.organizationId", deal: { rowId: "$uuid", ids: ["$vars.id", "$i"] }, kind: "referral", value: 5 }, scope),
    ).toEqual({ organizationId: "org-1", deal: { rowId: "new-uuid", ids: ["deal-1", 7] }, kind: "referral", value: 5 });
  });

  it("looks up a {path} inside a path first, and lowercases with |lower", () => {
    expect(resolveTemplate("$facts.salesStageIds.{vars.input.stage}", scope)).toBe("stage-q");
    expect(resolveTemplate("$vars.input.priority|lower", scope)).toBe("high");
  });

  it("passes on a variable the workload leaves undefined", () => {
    expect(resolveTemplate("$vars.input.contactId", scope)).toBeUndefined();
  });

  it("refuses a path that names nothing, rather than send null", () => {
    expect(() => resolveTemplate("$facts.organisationId", scope)).toThrow('"$facts.organisationId": nothing at facts.organisationId');
    expect(() => resolveTemplate("$facts.salesStageIds.{vars.input.pipeline}", scope)).toThrow("nothing at vars.input.pipeline");
    expect(() => resolveTemplate("$i|lower", scope)).toThrow("cannot apply |lower");
  });

  it("gives the endpoint the workload's variables with the file's on top, one uuid per request", () => {
    const entry = { query: "query Q { x }", variables: { deal: { rowId: "$uuid", dealId: "$uuid" }, first: 10 } };
    const one = compareVariables(entry, { first: 100, id: "deal-1" }, {}, 0);
    const two = compareVariables(entry, { first: 100, id: "deal-1" }, {}, 1);
    expect(one).toMatchObject({ first: 10, id: "deal-1" });
    const deal = one.deal as { rowId: string; dealId: string };
    expect(deal.rowId).toMatch(/^[0-9a-f-]{36}$/);
    expect(deal.dealId).toBe(deal.rowId);
    expect((two.deal as { rowId: string }).rowId).not.toBe(deal.rowId);
  });

  it("reads a file of workload name → { query, variables }, skipping _comments, and refuses an entry without a query", () => {
    const queries = parseCompareQueries({ _comment: ["notes"], "people(first: 100)": { query: "query P { people { totalCount } }" } }, "q.json");
    expect([...queries.keys()]).toEqual(["people(first: 100)"]);
    expect(() => parseCompareQueries({ moveDeal: { variables: {} } }, "q.json")).toThrow('q.json: "moveDeal" has no query');
    expect(() => parseCompareQueries({ moveDeal: { query: "q", variables: [] } }, "q.json")).toThrow('"moveDeal".variables must be an object');
    expect(() => parseCompareQueries([], "q.json")).toThrow("expected an object");
  });
});

describe("PostGraphile's queries (bench/postgraphile/queries.json)", () => {
  const dataset = {
    organizationId: "org-1",
    workspaceIds: ["ws-1"],
    users: [{ id: "user-1", apiKey: "dg_x", workspaceIds: ["ws-1"] }],
    contactIds: ["person-1", "person-2"],
    productIds: ["product-1"],
    customers: [{ id: "company-1", siteIds: ["site-1"], employeeIds: ["person-3"] }],
    visibleReferralIds: ["deal-1"],
    changeableReferrals: [{ id: "deal-2", stage: "lead", hasProduct: true, referralSources: 0 }],
    referralStageIds: { lead: "stage-lead", introduced: "stage-introduced" },
  } as unknown as Dataset;
  const facts = {
    organizationId: "org-1",
    userId: "user-1",
    workspaceId: "ws-1",
    referralStageIds: dataset.referralStageIds,
    salesStageIds: Object.fromEntries(["LEAD", "QUALIFIED", "SURVEY", "PROPOSAL"].map((key) => [key, `stage-${key}`])),
    salesStageProbabilities: Object.fromEntries(["LEAD", "QUALIFIED", "SURVEY", "PROPOSAL"].map((key) => [key, 10])),
  };
  const queries = loadCompareQueries(path.join(__dirname, "..", "bench", "postgraphile", "queries.json"));
  const byName = new Map(workloads(dataset).map((workload) => [workload.name, workload]));

  it("name the issue's six workloads, and only workloads the bench has", () => {
    expect([...queries.keys()].sort()).toEqual(
      ["createOpportunity", "createReferralOpportunity", "opportunities(first: 100)", "people(first: 100)", "referralOpportunities(first: 100)", "referralOpportunity(id)"].sort(),
    );
    for (const name of queries.keys()) expect(byName.has(name)).toBe(true);
  });

  it.each([...queries.keys()])("%s: every template names something in the workload's variables or the facts", (name) => {
    const workload = byName.get(name)!;
    for (let i = 0; i < 20; i++) expect(() => compareVariables(queries.get(name)!, workload.variables(i), facts, i)).not.toThrow();
  });
});

describe("the baselines' record of a request's rows", () => {
  // pipeline_deal (oid 1: organization_id, id, name) and person (oid 2: organization_id, id, first_name).
  const catalog = new (Catalog as unknown as new (columns: Map<number, Map<number, string>>, tables: Map<number, string>) => Catalog)(
    new Map([
      [1, new Map([[1, "organization_id"], [2, "id"], [3, "name"]])],
      [2, new Map([[1, "organization_id"], [2, "id"], [3, "first_name"]])],
    ]),
    new Map([
      [1, "pipeline_deal"],
      [2, "person"],
    ]),
  );
  const field = (name: string, tableID = 0, columnID = 0) => ({ name, tableID, columnID, dataTypeID: 25, dataTypeSize: -1, dataTypeModifier: -1, format: "text" });
  const result = (fields: ReturnType<typeof field>[], rows: unknown[][]) => ({ command: "SELECT", rowCount: rows.length, oid: 0, fields, rows }) as QueryArrayResult;

  it("reads a plain statement's rows by their fields' tables, and a lone count(*) as the count", () => {
    const page = result([field("deal_organization_id", 1, 1), field("deal_id", 1, 2), field("deal_name", 1, 3), field("cursor_value")], [["o", "d1", "First", "c1"]]);
    const records = new RecordSet(catalog, [page, result([field("count")], [["7"]])]);
    expect(records.get("pipeline_deal", "d1")).toEqual({ organization_id: "o", id: "d1", name: "First" });
    expect(records.page("pipeline_deal")).toEqual([{ row: { organization_id: "o", id: "d1", name: "First" }, cursorValue: "c1" }]);
    expect(records.count()).toBe(7);
  });

  it("reads a page whose count and related rows come in its last row, as the service's lists send them", () => {
    // A UNION's columns have no table: their TypeORM names (`deal_…`) and the text's aliases tell it.
    const text =
      `WITH main AS MATERIALIZED (SELECT … FROM "pipeline_deal" "deal" …) SELECT main.*, NULL::bigint AS total_count, NULL::json AS related, false AS extras_row FROM main ` +
      `UNION ALL SELECT main.*, (SELECT count(*) …)::bigint AS total_count, ((SELECT json_build_object('person', (SELECT json_agg(json_build_array(r.organization_id, r.id, r.first_name)) FROM related_person r))))::json AS related, true …`;
    const fields = ["deal_organization_id", "deal_id", "deal_name", "cursor_value", "total_count", "related", "extras_row"].map((name) => field(name));
    const rows = [
      ["o", "d1", "First", "c1", null, null, false],
      ["o", "d2", "Second", "c2", null, null, false],
      [null, null, null, null, "42", { person: [["o", "p1", "Ada"]] }, true],
    ];
    const records = new RecordSet(catalog, [result(fields, rows)], [text]);
    expect(records.page("pipeline_deal").map(({ row, cursorValue }) => [row.id, cursorValue])).toEqual([
      ["d1", "c1"],
      ["d2", "c2"],
    ]);
    expect(records.count()).toBe(42);
    expect(records.get("person", "p1")).toEqual({ organization_id: "o", id: "p1", first_name: "Ada" });
    expect(records.page("person")).toEqual([]);
  });

  it("refuses related rows whose columns the statement's text does not name", () => {
    const fields = ["total_count", "related", "extras_row"].map((name) => field(name));
    expect(() => new RecordSet(catalog, [result(fields, [[null, { person: [["o", "p1", "Ada"]] }, true]])], ["SELECT …"])).toThrow(/person rows/);
  });
});

describe("the replay's pairing of ids from a statement's rows", () => {
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  const [viewer, seeker, provider, source, newSeeker, newProvider, newSource, employer, newEmployer] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(id);
  const statement = (rows: unknown[][]) => ({ text: "", parameters: [], runner: 0, command: "SELECT", fields: [{ name: "id" }, { name: "company_id" }], rows }) as unknown as CapturedStatement;

  it("pairs rows by their id: a paired one with its partner, an unchanged one (the viewer) with itself, the rest in order", () => {
    // The people a create reads come one row each, in no set order.
    const template = statement([
      [viewer, null],
      [seeker, employer],
      [source, null],
      [provider, null],
    ]);
    const rows = [
      [newProvider, null],
      [newSource, null],
      [newSeeker, newEmployer],
      [viewer, null],
    ];
    const ids = new Map([
      [seeker, newSeeker],
      [provider, newProvider],
    ]);
    correlate(template, rows, ids);
    expect(ids.get(viewer)).toBe(viewer);
    expect(ids.get(employer)).toBe(newEmployer);
    expect(ids.get(source)).toBe(newSource);
    expect(ids.get(seeker)).toBe(newSeeker);
  });

  it("pairs rows in order when no column holds a distinct id in every row", () => {
    const template = statement([[null, employer]]);
    const ids = new Map<string, string>();
    correlate(template, [[null, newEmployer]], ids);
    expect(ids.get(employer)).toBe(newEmployer);
  });
});
