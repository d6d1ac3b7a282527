/** Small pieces every view uses: error text, JSON fields with validation at the field, formatting. */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { WampError } from '../client/errors.js';
import { readJsonField, type JsonFieldKind } from './json-field.js';
import { visible } from './shown-text.js';

/** An error as the console shows it: the WAMP error URI first ("not authorized" spelled out), then the router's message. */
export function describeError(error: unknown): string {
  if (error instanceof WampError) {
    const message = typeof error.args[0] === 'string' ? error.args[0] : error.args.length > 0 ? JSON.stringify(error.args) : '';
    const prefix = error.uri === 'wamp.error.not_authorized' ? 'Not authorized (wamp.error.not_authorized)' : error.uri;
    return visible(message ? `${prefix}: ${message}` : prefix);
  }
  return visible(error instanceof Error ? error.message : String(error));
}

/** `id`: for a field's aria-describedby, when the error is about that field. */
export function ErrorText({ error, id }: { error: unknown; id?: string }) {
  if (error === undefined || error === null) return null;
  return html`<p class="error" role="alert" id=${id}>${describeError(error)}</p>`;
}

export interface JsonFieldProps {
  id: string;
  label: string;
  kind: JsonFieldKind;
  value: string;
  placeholder: string;
  onInput(value: string): void;
}

/** A textarea for JSON with its problem shown right under it (and announced) while the text is not valid. */
export function JsonField({ id, label, kind, value, placeholder, onInput }: JsonFieldProps) {
  const read = readJsonField(value, kind);
  const errorId = `${id}-error`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <textarea id=${id} rows="2" spellcheck=${false} placeholder=${placeholder} value=${value}
      aria-invalid=${read.ok ? 'false' : 'true'} aria-describedby=${read.ok ? undefined : errorId}
      onInput=${(event: Event) => onInput((event.target as HTMLTextAreaElement).value)}></textarea>
    ${read.ok ? null : html`<p class="field-error" id=${errorId} role="alert">${label}: ${read.error}</p>`}
  </div>`;
}

/** A form field's setter that also takes the form's last outcome off the screen: it was about what the fields said before. */
export function clearingOutcome(set: (value: string) => void, clearOutcome: () => void): (value: string) => void {
  return (value) => {
    set(value);
    clearOutcome();
  };
}

/**
 * For a button that sends the keyboard's focus elsewhere on the page (Kill…, Try, History): `sent`
 * remembers it, and `back` (Close, or Escape where the focus went: `onKeyDown`) returns the focus to it.
 */
export function useFocusReturn(): { sent(): void; back(): void; onKeyDown(event: KeyboardEvent): void } {
  const opener = useRef<HTMLElement | null>(null);
  const back = () => {
    const button = opener.current;
    opener.current = null;
    if (button?.isConnected) button.focus();
  };
  return {
    sent: () => {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    },
    back,
    onKeyDown: (event) => {
      if (event.key === 'Escape' && opener.current) back();
    },
  };
}

/**
 * A table's frame. Where the screen is narrower than the table (a phone) the frame scrolls
 * sideways, and then takes the keyboard's focus (the arrow keys scroll it) as a region named `label`.
 */
export function TableFrame({ label, class: extra, children }: { label: string; class?: string; children: ComponentChildren }) {
  const frame = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useLayoutEffect(() => {
    const element = frame.current!;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth);
    measure();
    // The frame's width follows the window's, the table's its rows.
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return html`<div ref=${frame} class=${extra ? `table-wrap ${extra}` : 'table-wrap'} ...${scrolls ? { tabindex: 0, role: 'region', 'aria-label': label } : {}}>${children}</div>`;
}

/**
 * A short text a client chose (an auth ID, a role, a client ID) on one line, cut with an ellipsis
 * where it is longer than its column: then whole on hover (title) and, for the keyboard, on focus
 * (it takes focus only when cut). A screen reader reads it whole either way.
 */
export function Cut({ text }: { text: string }) {
  const span = useRef<HTMLSpanElement>(null);
  const [cut, setCut] = useState(false);
  useLayoutEffect(() => {
    const element = span.current!;
    if (element !== document.activeElement) setCut(element.scrollWidth > element.clientWidth);
  }, [text]);
  return html`<span ref=${span} class="cut" title=${cut ? text : undefined} tabindex=${cut ? 0 : undefined}>${text}</span>`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
