import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { ApiError, errorMessage } from './api';

/** Small accessible building blocks on native elements: labels, dialogs, live regions. */

/** The server's message for one field of a form (a JSON Pointer `path`), if `error` names it. */
export const fieldError = (error: unknown, path: string) => (error instanceof ApiError ? error.fieldError(path) : undefined);

/** The first thing a keyboard user reaches on a page: a jump past the header to `#main`. */
export function SkipLink() {
  return (
    <a className="skip-link" href="#main">
      Skip to content
    </a>
  );
}

export function Field({
  label,
  hint,
  error,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: ReactNode; hint?: ReactNode; error?: string | undefined }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-describedby={[hintId, errorId].filter(Boolean).join(' ') || undefined}
        aria-invalid={error ? true : undefined}
        {...input}
      />
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

export function SelectField({
  label,
  hint,
  children,
  ...select
}: SelectHTMLAttributes<HTMLSelectElement> & { label: ReactNode; hint?: ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-describedby={hintId} {...select}>
        {children}
      </select>
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextAreaField({ label, ...area }: TextareaHTMLAttributes<HTMLTextAreaElement> & { label: ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} {...area} />
    </div>
  );
}

export function ErrorBox({ error, children }: { error?: unknown; children?: ReactNode }) {
  if (!error && !children) return null;
  return (
    <div className="notice notice-error" role="alert">
      {children ?? errorMessage(error)}
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'success' | 'warning'; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role="status">
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/**
 * A modal on the native <dialog>: the browser traps focus and closes on Escape; focus goes back
 * to whatever opened it.
 */
/** Focus goes back to what opened a dialog, or to the page's heading when that is gone. */
function restoreFocusTo(element: Element | null): void {
  window.setTimeout(() => {
    if (document.activeElement && document.activeElement !== document.body) return;
    if (element instanceof HTMLElement && element.isConnected) element.focus();
    else document.querySelector<HTMLElement>('main h1')?.focus();
  }, 0);
}

export function Dialog({
  open,
  onClose,
  title,
  children,
  wide,
}: {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<Element | null>(null);
  const restoreFocus = () => restoreFocusTo(opener.current);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onCancel = (event: Event) => {
      event.preventDefault();
      onClose();
    };
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('close', restoreFocus);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('close', restoreFocus);
    };
  }, [onClose]);
  // A dialog removed while open (its action done) also hands focus back.
  useEffect(() => () => restoreFocus(), []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} className={wide ? 'dialog dialog-wide' : 'dialog'}>
      {open && (
        <>
          <div className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
              ×
            </button>
          </div>
          <div className="dialog-body">{children}</div>
        </>
      )}
    </dialog>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard refused (insecure context): select-and-copy fallback.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void copy()}>
        {copied ? 'Copied' : label}
      </button>
      <span className="visually-hidden" role="status">
        {copied ? 'Link copied' : ''}
      </span>
    </>
  );
}

export function BookingLink({ slug }: { slug: string }) {
  const url = `${window.location.origin}/${slug}`;
  const id = useId();
  return (
    <div className="booking-link">
      <label htmlFor={id}>Your booking link</label>
      <div className="row">
        <input id={id} readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={url} />
      </div>
    </div>
  );
}

/** Loads once per `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const stableLoad = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    stableLoad().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [stableLoad, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload, setData: (data: T) => setState({ data, loading: false }) };
}

/** Moves focus to a heading when it appears (step changes, new screens) for keyboard and screen-reader users. */
export function useFocusOnMount<T extends HTMLElement>(active = true) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (active) ref.current?.focus();
  }, [active]);
  return ref;
}

/**
 * The busy flag and error of one async action (a form's submit, a dialog's button). `run` clears
 * the error and sets busy; a throw goes to `onError` (by default it becomes `error`). Busy ends
 * either way, unless `keepBusy` holds it after success because the page is about to move on.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<void>, { onError = setError, keepBusy = false }: { onError?: (error: unknown) => void; keepBusy?: boolean } = {}) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      onError(e);
      setBusy(false);
      return;
    }
    if (!keepBusy) setBusy(false);
  };
  return { busy, error, setError, run };
}
