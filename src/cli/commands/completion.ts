/**
 * `kcr completion bash|zsh|fish`: shell completion generated from the commands kcr registers, so
 * it never falls behind them. Subcommands and flags complete; arguments complete as file names.
 * Written by hand: commander has no completion, and the completion packages for it want a
 * runtime hook in every start of kcr; a static script costs nothing when kcr runs.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { choice } from '../options.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

interface Node {
  /** `kcr image build` as `image build`; the root is ''. */
  path: string;
  subcommands: string[];
  flags: { long?: string; short?: string; takesValue: boolean; description: string }[];
}

/** commander keeps `.command(name, { hidden: true })` in a field it does not type: read it by narrowing. */
function isHidden(cmd: Command): boolean {
  return '_hidden' in cmd && cmd._hidden === true;
}

function walk(cmd: Command, prefix: string, out: Node[]): Node[] {
  const visible = cmd.commands.filter((c) => !isHidden(c));
  out.push({
    path: prefix,
    subcommands: visible.map((c) => c.name()),
    flags: cmd.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        ...(o.long ? { long: o.long } : {}),
        ...(o.short ? { short: o.short } : {}),
        takesValue: o.required || o.optional,
        description: o.description,
      })),
  });
  for (const c of visible) walk(c, prefix ? `${prefix} ${c.name()}` : c.name(), out);
  return out;
}

function bash(nodes: Node[]): string {
  const cases = nodes
    .map((n) => {
      const words = [...n.subcommands, ...n.flags.flatMap((f) => [f.long, f.short].filter(Boolean))];
      // A group (kcr, kcr image) takes a subcommand, not a file.
      return `    '${n.path}') words='${words.join(' ')}' files=${n.subcommands.length ? 0 : 1} ;;`;
    })
    .join('\n');
  const subs = nodes
    .filter((n) => n.subcommands.length)
    .map((n) => `    '${n.path}') subs=' ${n.subcommands.join(' ')} ' ;;`)
    .join('\n');
  const valued = nodes
    .flatMap((n) => n.flags.filter((f) => f.takesValue).flatMap((f) => [f.long, f.short]))
    .filter((f, i, all): f is string => Boolean(f) && all.indexOf(f) === i);
  return `# kcr completion for bash: source <(kcr completion bash)
_kcr() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath='' words subs word i skip=0 files=1
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case " ${valued.join(' ')} " in *" $word "*) skip=1; continue ;; esac
    [[ $word == -* ]] && continue
    subs=''
    case "$cmdpath" in
${subs}
    esac
    [[ $subs == *" $word "* ]] && cmdpath="\${cmdpath:+$cmdpath }$word"
  done
  words=''
  case "$cmdpath" in
${cases}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(printf '%s\\n' $words | grep -v '^-')" -- "$cur"))
    ((files)) && COMPREPLY+=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _kcr kcr kubectl-kcr
`;
}

function zsh(nodes: Node[]): string {
  // zsh runs the bash function through bashcompinit, whose \`complete\` needs compinit's compdef.
  // (The bash function names no variable \`path\`: in zsh that is PATH, and grep would vanish.)
  return `#compdef kcr kubectl-kcr
# kcr completion for zsh: source <(kcr completion zsh)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }
autoload -U +X bashcompinit && bashcompinit
${bash(nodes).replace(/^# kcr completion for bash.*\n/, '')}`;
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fish(nodes: Node[]): string {
  // __kcr_path walks the typed words as the bash script does: only a subcommand of the path so far
  // extends it, so arguments and flag values typed in between do not (fish's
  // __fish_seen_subcommand_from cannot tell \`image\` from \`image build\`).
  const cases = nodes
    .filter((n) => n.subcommands.length)
    .map(
      (n) =>
        `            case ${fishQuote(n.path)}\n                contains -- $w ${n.subcommands.map(fishQuote).join(' ')}; and set p (string trim -- "$p $w")`,
    )
    .join('\n');
  const lines = [
    '# kcr completion for fish: kcr completion fish | source',
    'function __kcr_path',
    "    set -l p ''",
    '    for w in (__fish_print_cmd_args_without_options)[2..-1]',
    '        switch "$p"',
    cases,
    '        end',
    '    end',
    '    echo $p',
    'end',
    '# Exactly this command path has been typed: __kcr_at image build',
    'function __kcr_at',
    '    set -l p (__kcr_path)',
    '    test "$p" = "$argv"',
    'end',
    'complete -c kcr -f',
  ];
  for (const n of nodes) {
    const when = `-n ${fishQuote(n.path ? `__kcr_at ${n.path}` : '__kcr_at')}`;
    for (const sub of n.subcommands) lines.push(`complete -c kcr ${when} -a ${fishQuote(sub)}`);
    // A command (not a group) takes files as its arguments, as in the bash script.
    if (n.path && n.subcommands.length === 0) lines.push(`complete -c kcr ${when} -F`);
    for (const f of n.flags) {
      const names = [f.long ? `-l ${f.long.slice(2)}` : '', f.short ? `-s ${f.short.slice(1)}` : '']
        .filter(Boolean)
        .join(' ');
      lines.push(
        `complete -c kcr ${when} ${names}${f.takesValue ? ' -r -F' : ''} -d ${fishQuote(f.description)}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

export function completionScript(program: Command, shell: Shell): string {
  const nodes = walk(program, '', []);
  return shell === 'bash' ? bash(nodes) : shell === 'zsh' ? zsh(nodes) : fish(nodes);
}

export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish', choice('SHELL', SHELLS))
    .addHelpText(
      'after',
      '\nbash: source <(kcr completion bash)   (or add that line to ~/.bashrc)\n' +
        'zsh:  source <(kcr completion zsh)    (or add that line to ~/.zshrc)\n' +
        'fish: kcr completion fish > ~/.config/fish/completions/kcr.fish\n',
    )
    .action((shell: Shell) => {
      ctx.io.stdout.write(completionScript(program, shell));
    });
}
