import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Field, Input, LoadingPlaceholder, Stack, useStyles2 } from '@grafana/ui';

import {
  errorMessage,
  fetchResource,
  MAX_TTL_DAYS,
  MIN_TTL_DAYS,
  parseRetention,
  RetentionState,
  serializeRetention,
  validateTtl,
} from '../resources';

interface Props {
  /** uid of the saved datasource whose backend proxies the retention resource. */
  uid?: string;
}

type Status = { kind: 'success' | 'error'; text: string } | undefined;

const key = (dataType: string, tier: string) => `${dataType}/${tier}`;

/**
 * RetentionSettings edits how long the server keeps each data type and tier. It loads the
 * policies through the plugin's retention resource and saves them with PUT; on an error nothing
 * changes on the server, the form keeps the user's input and says what went wrong.
 */
export function RetentionSettings({ uid }: Props) {
  const styles = useStyles2(getStyles);
  const [saved, setSaved] = useState<RetentionState | undefined>();
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [loading, setLoading] = useState(!!uid);
  const [saving, setSaving] = useState(false);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [status, setStatus] = useState<Status>();

  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!uid) {
      return;
    }
    let live = true;
    fetchResource<unknown>(uid, 'retention').then(
      (raw) => {
        if (!live) {
          return;
        }
        const state = parseRetention(raw);
        setSaved(state);
        setDraft(Object.fromEntries(state.policies.map((p) => [key(p.dataType, p.tier), String(p.ttlDays)])));
        setLoadError(undefined);
        setLoading(false);
      },
      (err) => {
        if (live) {
          setLoadError(errorMessage(err));
          setLoading(false);
        }
      }
    );
    return () => {
      live = false;
    };
  }, [uid, attempt]);

  const load = () => {
    setLoading(true);
    setLoadError(undefined);
    setAttempt((n) => n + 1);
  };

  const errors = useMemo(() => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(draft)) {
      const e = validateTtl(v);
      if (e) {
        out[k] = e;
      }
    }
    return out;
  }, [draft]);

  if (!uid) {
    return <Alert severity="info" title="Save the datasource to manage retention" />;
  }
  if (loading && !saved) {
    return <LoadingPlaceholder text="Loading retention policies…" />;
  }
  if (loadError && !saved) {
    return (
      <Alert severity="error" title="Cannot load retention policies">
        <div>{loadError}</div>
        <Button size="sm" variant="secondary" onClick={load} className={styles.retry}>
          Retry
        </Button>
      </Alert>
    );
  }
  if (!saved) {
    return null;
  }

  const dirty = saved.policies.some((p) => draft[key(p.dataType, p.tier)] !== String(p.ttlDays));
  const invalid = Object.keys(errors).length > 0;

  const save = async () => {
    const next: RetentionState = {
      shape: saved.shape,
      policies: saved.policies.map((p) => ({ ...p, ttlDays: Number(draft[key(p.dataType, p.tier)]) })),
    };
    setSaving(true);
    setStatus(undefined);
    try {
      const answer = await fetchResource<unknown>(uid, 'retention', undefined, 'PUT', serializeRetention(next));
      const fromServer = answer ? parseRetention(answer) : undefined;
      const applied = fromServer && fromServer.policies.length > 0 ? fromServer : next;
      setSaved(applied);
      setDraft(Object.fromEntries(applied.policies.map((p) => [key(p.dataType, p.tier), String(p.ttlDays)])));
      setStatus({ kind: 'success', text: 'Retention policies saved' });
    } catch (err) {
      setStatus({ kind: 'error', text: `Retention not changed: ${errorMessage(err)}` });
    } finally {
      setSaving(false);
    }
  };

  const reset = () => {
    setDraft(Object.fromEntries(saved.policies.map((p) => [key(p.dataType, p.tier), String(p.ttlDays)])));
    setStatus(undefined);
  };

  const dataTypes = [...new Set(saved.policies.map((p) => p.dataType))];

  return (
    <div data-testid="retention-settings">
      <p className={styles.help}>
        How many days each data type is kept ({MIN_TTL_DAYS}–{MAX_TTL_DAYS}). Aggregation tiers can keep summaries
        longer than the raw data. Changes apply to the server as soon as they are saved.
      </p>
      {saved.policies.length === 0 && <Alert severity="info" title="The server reported no retention policies" />}
      {dataTypes.map((dt) => (
        <fieldset key={dt} className={styles.group}>
          <legend className={styles.legend}>{dt}</legend>
          <Stack direction="row" gap={2} wrap="wrap">
            {saved.policies
              .filter((p) => p.dataType === dt)
              .map((p) => {
                const k = key(p.dataType, p.tier);
                return (
                  <Field key={k} label={p.tier === 'raw' ? 'Raw data' : p.tier} invalid={!!errors[k]} error={errors[k]}>
                    <Input
                      aria-label={`${dt} ${p.tier} retention days`}
                      width={14}
                      inputMode="numeric"
                      suffix="days"
                      value={draft[k] ?? ''}
                      onChange={(e) => {
                        const v = e.currentTarget.value;
                        setDraft((d) => ({ ...d, [k]: v }));
                        setStatus(undefined);
                      }}
                    />
                  </Field>
                );
              })}
          </Stack>
        </fieldset>
      ))}
      {status && (
        <Alert
          severity={status.kind}
          title={status.text}
          onRemove={() => setStatus(undefined)}
          data-testid={`retention-${status.kind}`}
        />
      )}
      <Stack direction="row" gap={1}>
        <Button onClick={save} disabled={!dirty || invalid || saving} icon={saving ? 'spinner' : undefined}>
          {saving ? 'Saving…' : 'Save retention'}
        </Button>
        <Button variant="secondary" onClick={reset} disabled={!dirty || saving}>
          Discard changes
        </Button>
      </Stack>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  help: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(2) }),
  group: css({ border: 'none', padding: 0, marginBottom: theme.spacing(1) }),
  legend: css({ fontSize: theme.typography.h6.fontSize, textTransform: 'capitalize', marginBottom: theme.spacing(1) }),
  retry: css({ marginTop: theme.spacing(1) }),
});
