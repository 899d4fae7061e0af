// The VS Code side of `mailman lsp`: when a .chain or .pipeline file opens, start the language
// server (`mailman lsp --stdio`, or the command set in "mailman.lsp.command") and let
// vscode-languageclient carry diagnostics, hover, completion, definition and formatting.
// Plain CommonJS, so the extension needs no build; `npm install` here fetches the client.
'use strict';
const vscode = require('vscode');

/** @type {import('vscode-languageclient/node').LanguageClient | undefined} */
let client;

function activate(context) {
  let LanguageClient;
  try {
    ({ LanguageClient } = require('vscode-languageclient/node'));
  } catch {
    // Highlighting works without the client; say how to get the rest.
    void vscode.window.showWarningMessage(
      'Mailman chains: run `npm install` in the extension directory to enable the language server.',
    );
    return;
  }
  const settings = vscode.workspace.getConfiguration('mailman.lsp');
  const command = settings.get('command', 'mailman');
  const args = [...settings.get('args', []), 'lsp', '--stdio'];
  client = new LanguageClient(
    'mailman-dsl',
    'Mailman chains and pipelines',
    { command, args },
    {
      documentSelector: [
        { scheme: 'file', language: 'mailman-dsl' },
        { scheme: 'untitled', language: 'mailman-dsl' },
        { scheme: 'file', language: 'mailman-examples' },
      ],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{chain,pipeline,examples}') },
    },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
