// Calls to the plugin backend's resources (CallResource, plugin/datasource/resources.go) and the
// normalisation of their answers.

import { getBackendSrv, FetchError } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { Catalog, CatalogTable, RetentionPolicy } from './types';

function resourceUrl(uid: string, path: string): string {
  return `/api/datasources/uid/${encodeURIComponent(uid)}/resources/${path}`;
}

/** fetchResource GETs (or PUTs) one resource of the datasource uid and returns its JSON body. */
export async function fetchResource<T>(
  uid: string,
  path: string,
  params?: Record<string, string | number | undefined>,
  method: 'GET' | 'PUT' = 'GET',
  data?: unknown
): Promise<T> {
  const clean: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined && v !== '') {
      clean[k] = v;
    }
  }
  const res = await lastValueFrom(
    getBackendSrv().fetch<T>({
      url: resourceUrl(uid, path),
      method,
      params: clean,
      data,
      showErrorAlert: false,
      showSuccessAlert: false,
    })
  );
  return res.data;
}

/** errorMessage extracts what the backend said from a failed resource call. */
export function errorMessage(err: unknown): string {
  const e = err as Partial<FetchError> & { message?: string };
  const data = e?.data as { error?: { message?: string } | string; message?: string } | undefined;
  if (data) {
    if (typeof data.error === 'object' && data.error?.message) {
      return data.error.message;
    }
    if (typeof data.error === 'string') {
      return data.error;
    }
    if (data.message) {
      return data.message;
    }
  }
  if (e?.statusText) {
    return `${e.status ?? ''} ${e.statusText}`.trim();
  }
  return e?.message ?? String(err);
}

/** normalizeCatalog accepts the catalog resource's JSON and fills what is missing. */
export function normalizeCatalog(raw: unknown): Catalog {
  const r = (raw ?? {}) as Partial<Catalog> & { tables?: Array<CatalogTable & { tier?: boolean }> };
  return {
    tables: (r.tables ?? []).map((t) => ({ ...t, columns: t.columns ?? [] })),
    functions: r.functions ?? [],
    macros: r.macros ?? [],
    keywords: r.keywords && r.keywords.length > 0 ? r.keywords : undefined,
  };
}

/** stringList reads {key: [...]}, or a bare list, into strings. */
export function stringList(raw: unknown, key: string): string[] {
  const list = Array.isArray(raw) ? raw : ((raw as Record<string, unknown>)?.[key] as unknown[]);
  return Array.isArray(list) ? list.filter((v) => v !== null && v !== undefined).map(String) : [];
}

export const MIN_TTL_DAYS = 1;
export const MAX_TTL_DAYS = 3650;

/** validateTtl returns an error message for a TTL in days, or undefined when it is valid. */
export function validateTtl(value: string | number): string | undefined {
  const s = String(value).trim();
  if (!/^\d+$/.test(s)) {
    return 'Enter a whole number of days';
  }
  const n = Number(s);
  if (n < MIN_TTL_DAYS || n > MAX_TTL_DAYS) {
    return `Must be between ${MIN_TTL_DAYS} and ${MAX_TTL_DAYS} days`;
  }
  return undefined;
}

/** The shape the server used, so an update is written back the same way. */
export type RetentionShape = 'list' | 'keyed';

export interface RetentionState {
  policies: RetentionPolicy[];
  shape: RetentionShape;
}

type RawPolicy = {
  data_type?: string;
  dataType?: string;
  tier?: string;
  ttl_days?: number;
  ttlDays?: number;
  tiers?: Record<string, number | RawPolicy> | RawPolicy[];
};

function readPolicy(p: RawPolicy, dataType?: string, tier?: string): RetentionPolicy[] {
  const dt = p.data_type ?? p.dataType ?? dataType ?? '';
  const out: RetentionPolicy[] = [];
  const ttl = p.ttl_days ?? p.ttlDays;
  if (ttl !== undefined) {
    out.push({ dataType: dt, tier: p.tier ?? tier ?? 'raw', ttlDays: Number(ttl) });
  }
  if (Array.isArray(p.tiers)) {
    for (const t of p.tiers) {
      out.push(...readPolicy(t, dt));
    }
  } else if (p.tiers) {
    for (const [name, v] of Object.entries(p.tiers)) {
      out.push(...(typeof v === 'number' ? [{ dataType: dt, tier: name, ttlDays: v }] : readPolicy(v, dt, name)));
    }
  }
  return out;
}

/**
 * parseRetention reads the retention resource. The server's shape (docs/rest-api.md) is keyed by
 * data type, with the tiers under "tiers" keyed by tier table:
 * {"logs": {"data_type": "logs", "ttl_days": 30}, ..., "tiers": {"metrics_1hour": {"data_type":
 * "metrics", "tier": "metrics_1hour", "ttl_days": 365}}}. A list ({policies: [...]}) is read too.
 */
export function parseRetention(raw: unknown): RetentionState {
  if (Array.isArray(raw)) {
    return { shape: 'list', policies: raw.flatMap((p) => readPolicy(p)) };
  }
  const obj = (raw ?? {}) as Record<string, unknown>;
  if (Array.isArray(obj.policies)) {
    return { shape: 'list', policies: (obj.policies as RawPolicy[]).flatMap((p) => readPolicy(p)) };
  }
  const policies: RetentionPolicy[] = [];
  const tiers: RetentionPolicy[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'tiers' && v && typeof v === 'object') {
      for (const [name, t] of Object.entries(v as Record<string, RawPolicy | number>)) {
        if (typeof t === 'number') {
          tiers.push({ dataType: '', tier: name, ttlDays: t });
        } else if (t && typeof t === 'object') {
          tiers.push(...readPolicy({ ...t, tier: t.tier ?? name }, t.data_type ?? t.dataType ?? ''));
        }
      }
    } else if (typeof v === 'number') {
      policies.push({ dataType: k, tier: 'raw', ttlDays: v });
    } else if (v && typeof v === 'object') {
      policies.push(...readPolicy(v as RawPolicy, k));
    }
  }
  // A tier without a data type belongs to the data type its table name starts with.
  for (const t of tiers) {
    if (!t.dataType) {
      t.dataType = policies.find((p) => t.tier.startsWith(p.dataType))?.dataType ?? t.tier.split('_')[0];
    }
  }
  // Show each tier under its data type, after the raw policy.
  const ordered: RetentionPolicy[] = [];
  for (const p of policies) {
    ordered.push(p, ...tiers.filter((t) => t.dataType === p.dataType));
  }
  ordered.push(...tiers.filter((t) => !policies.some((p) => p.dataType === t.dataType)));
  return { shape: 'keyed', policies: ordered };
}

/** serializeRetention writes policies in the shape the server sent them. */
export function serializeRetention(state: RetentionState): unknown {
  if (state.shape === 'list') {
    return {
      policies: state.policies.map((p) => ({ data_type: p.dataType, tier: p.tier, ttl_days: p.ttlDays })),
    };
  }
  const out: Record<string, unknown> = {};
  const tiers: Record<string, RawPolicy> = {};
  for (const p of state.policies) {
    if (p.tier === 'raw') {
      out[p.dataType] = { data_type: p.dataType, ttl_days: p.ttlDays };
    } else {
      tiers[p.tier] = { data_type: p.dataType, tier: p.tier, ttl_days: p.ttlDays };
    }
  }
  if (Object.keys(tiers).length > 0) {
    out.tiers = tiers;
  }
  return out;
}
