// The PromQL editor: CodeMirror 6 with the Prometheus project's PromQL language (highlighting,
// linting) and completion of functions, metric names, labels and values fetched from the API as
// the current tenant. Enter runs the query; Shift-Enter breaks the line.
import { autocompletion, closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

export interface QueryEditor {
  value(): string;
  setValue(expr: string): void;
  /** Completion from now on asks the API as `headers` (X-Scope-OrgID) says. */
  setCompletionHeaders(headers: Headers): void;
  focus(): void;
}

export function createEditor(parent: HTMLElement, apiPrefix: string, initial: string, run: () => void): QueryEditor {
  const promql = new Compartment();
  const language = (headers: Headers) =>
    new PromQLExtension()
      .setComplete({ remote: { url: '', apiPrefix, httpMethod: 'GET', requestHeaders: headers, cache: { maxAge: 60_000 } } })
      .asExtension();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: initial,
      extensions: [
        history(),
        closeBrackets(),
        bracketMatching(),
        // Its keymap (Enter accepts a completion) comes before ours.
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle),
        placeholder('Expression (press Enter to run, Shift+Enter for a new line)'),
        EditorView.lineWrapping,
        keymap.of([
          { key: 'Enter', run: () => (run(), true) },
          { key: 'Shift-Enter', run: insertNewlineAndIndent },
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          ...lintKeymap,
        ]),
        promql.of(language(new Headers())),
      ],
    }),
  });
  return {
    value: () => view.state.doc.toString(),
    setValue: (expr) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: expr } }),
    setCompletionHeaders: (headers) => view.dispatch({ effects: promql.reconfigure(language(headers)) }),
    focus: () => view.focus(),
  };
}
