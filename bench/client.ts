export interface GraphQLBody {
  query: string;
  variables?: Record<string, unknown>;
}

export interface GraphQLResponse {
  status: number;
  text: string;
  json: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  /** The service's x-sql-statements header, when it sends one. */
  sqlStatements: number | null;
}

/** One GraphQL request over HTTP, as a client sends it (with no API key: to an endpoint that takes none). */
export async function postGraphQL(url: string, apiKey: string | null, body: GraphQLBody): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let json: GraphQLResponse["json"];
  try {
    json = JSON.parse(text);
  } catch {
    json = { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] };
  }
  const header = response.headers.get("x-sql-statements");
  return { status: response.status, text, json, sqlStatements: header === null ? null : Number(header) };
}

/** A short description of what went wrong with a response, or null when nothing did. */
export function responseProblem(response: GraphQLResponse): string | null {
  const error = response.json.errors?.[0];
  if (error) return `${error.extensions?.code ?? "ERROR"}: ${error.message}`;
  if (response.status < 200 || response.status >= 300) return `HTTP ${response.status}`;
  return null;
}
