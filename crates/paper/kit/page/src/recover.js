// FORMAT.md §7: gathering the inputs (7.1) and choosing and opening a vault copy (7.2), as
// `breakglass recover` and the kit's recover.py do. No DOM here: the page calls `gather` and
// `recover` with the inputs it read and callbacks for the passphrase and Argon2id.

import {
  Failure,
  EXIT_USAGE,
  EXIT_SHARES,
  EXIT_NOT_OPENED,
  cutInputs,
  parseBlocks,
  decodeBlocks,
  combine,
  vaultKey,
  openEnvelope,
  parseContents,
  checkKdf,
  equal,
  displayVaultId,
} from './format.js';

export { Failure };

/** Everything read, with where each piece came from. */
export class Gathered {
  constructor() {
    this.shares = []; // [source, Share]
    this.vaults = []; // [source, Vault]
    this.problems = []; // [name, Failure] per item left out (§7.1 rule 6)
    this.incomplete = []; // [names, Block]: vault blocks still missing lines after pooling
    this.wholeVaults = new Set(); // headers of vault blocks some input carried whole
    this.pooled = []; // [name, Block]
  }

  add(source, shares, vaults) {
    for (const s of shares) {
      this.shares.push([shares.length > 1 ? `${source} (share ${s.index})` : source, s]);
    }
    for (const v of vaults) this.vaults.push([source, v]);
  }

  problem(name, e) {
    if (!(e instanceof Failure)) throw e;
    this.problems.push([name, e]);
  }

  /** One file's (or paste's) text, cut into inputs by §7.1 and read. */
  addText(name, text) {
    const parts = cutInputs(text);
    parts.forEach((part, i) => this.addInput(parts.length > 1 ? `${name} part ${i + 1}` : name, part));
  }

  /** One input (a sheet's worth of text, or one page's QR payloads joined by newlines). */
  addInput(name, text) {
    if (!text.length) {
      this.problem(name, new Failure('Text/NoHeader', 'it is empty'));
      return;
    }
    const before = this.problems.length;
    let blocks;
    try {
      blocks = parseBlocks(text);
    } catch (e) {
      this.problem(name, e);
      return;
    }
    const complete = [];
    for (const b of blocks) {
      if (b.isComplete()) {
        complete.push(b);
        if (b.header.kind === 'V') this.wholeVaults.add(b.header.key);
      } else if (b.header.kind === 'V') {
        this.pooled.push([name, b]);
      } else {
        try {
          b.decode();
        } catch (e) {
          this.problem(name, e);
        }
      }
    }
    if (complete.length) this.addDecoded(name, complete);
    else if (!this.pooled.some(([n]) => n === name) && this.problems.length === before) {
      this.problem(name, new Failure('Text/NoHeader', 'no breakglass share or vault text in it'));
    }
  }

  addDecoded(source, blocks) {
    try {
      const { shares, vaults } = decodeBlocks(blocks);
      this.add(source, shares, vaults);
    } catch (e) {
      this.problem(source, e);
    }
  }

  /** §7.1 rule 3: incomplete vault blocks pooled by identical header, in input order. */
  finish() {
    const groups = [];
    for (const [name, b] of this.pooled) {
      const group = groups.find(([, g]) => g.header.key === b.header.key);
      if (group) {
        try {
          group[1].merge(b);
          if (!group[0].includes(name)) group[0].push(name);
        } catch (e) {
          this.problem(name, e);
        }
      } else {
        groups.push([[name], b]);
      }
    }
    this.pooled = [];
    for (const [names, b] of groups) {
      if (this.wholeVaults.has(b.header.key)) continue;
      if (b.isComplete()) this.addDecoded(names.join(' + '), [b]);
      else this.incomplete.push([names, b]);
    }
    return this;
  }
}

function recoverError(kind, message, code = EXIT_SHARES) {
  return new Failure('Recover/' + kind, message, code);
}

function commitsTo(vault, share) {
  return (
    equal(share.vaultId, vault.vaultId) &&
    share.generation === vault.generation &&
    share.threshold === vault.threshold &&
    share.index <= vault.commitments.length &&
    equal(vault.commitments[share.index - 1], share.commitment())
  );
}

function kdfCost(vault) {
  return vault.kdf === null ? 0 : vault.kdf.params[0] * vault.kdf.params[1];
}

const sameId = (a, b) => equal(a.vaultId, b.vaultId);

/** One distinct vault copy (§7.2 rule 2) and the shares that check against it (rule 3). */
class Candidate {
  constructor(vault, source, position, shares) {
    this.vault = vault;
    this.sources = [source];
    this.position = position;
    this.duplicates = new Map();
    const usable = [];
    const taken = new Map();
    shares.forEach(([src, s], at) => {
      if (!commitsTo(vault, s)) return;
      if (taken.has(s.index)) {
        this.duplicates.set(at, `${src}: share ${s.index} was given twice (also in ${taken.get(s.index)})`);
      } else {
        taken.set(s.index, src);
        usable.push([s.index, at, src, s]);
      }
    });
    usable.sort((a, b) => a[0] - b[0]);
    this.usableAt = usable.map((u) => u[1]);
    this.usable = usable.map((u) => [u[2], u[3]]);
  }

  viable() {
    return this.usable.length >= this.vault.threshold;
  }

  order() {
    return [this.viable() ? 0 : 1, kdfCost(this.vault), -this.usable.length, -this.sources.length, this.position];
  }

  used() {
    return this.usable.slice(0, this.vault.threshold);
  }

  isOtherSetThan(chosen) {
    return (
      sameId(this.vault, chosen.vault) &&
      this.vault.generation === chosen.vault.generation &&
      this.usableAt.filter((at) => !chosen.usableAt.includes(at)).length >= this.vault.threshold
    );
  }
}

function byOrder(a, b) {
  const x = a.order();
  const y = b.order();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** §7.2 rule 8: every input not used, shares first then vault copies, with why. */
function leftOut(shares, candidates, chosen, trial = null) {
  const c = candidates[chosen];
  const h = c.vault;
  const why = (vaultId, generation, declined) => {
    if (!equal(vaultId, h.vaultId)) return `it belongs to another vault (${displayVaultId(vaultId)})`;
    if (generation === h.generation) return null;
    if (trial === null) return `this sheet is generation ${generation}, the vault text is generation ${h.generation}`;
    if (trial.wanted !== null) return `this sheet is generation ${generation}; generation ${trial.wanted} was asked for`;
    if (trial.also.includes(generation)) {
      return `generation ${generation} opened too, from these sheets; generation ${h.generation} is shown (the button "open generation ${generation} instead" shows the other)`;
    }
    if (declined) {
      return `it claims generation ${generation} and asks for a passphrase stretching above the default that was not run (another copy had opened); it is not authenticated`;
    }
    if (generation < h.generation) {
      return `this sheet is generation ${generation}; it was retired by generation ${h.generation}`;
    }
    return `it claims generation ${generation}, newer than the one that opened (${h.generation}), but that did not open: it may have been altered, or too few of its sheets were given`;
  };
  const otherSet = `it belongs to another set of generation ${h.generation} sheets whose vault text differs from the one that opened: one of the two sets was forged; keep the sheets your custodians were given`;
  const others = candidates.filter((o, i) => i !== chosen && o.isOtherSetThan(c));
  const declined = trial === null ? [] : trial.declined;
  const out = [];
  shares.forEach(([src, s], at) => {
    if (c.usableAt.includes(at)) return;
    if (c.duplicates.has(at)) {
      out.push(c.duplicates.get(at));
      return;
    }
    const wasDeclined = declined.some((i) => candidates[i].usableAt.includes(at));
    let reason = why(s.vaultId, s.generation, wasDeclined);
    if (reason === null) {
      reason = others.some((o) => o.usableAt.includes(at))
        ? otherSet
        : `share ${s.index} does not belong to this vault or has been altered`;
    }
    out.push(`${src}: ${reason}`);
  });
  candidates.forEach((other, i) => {
    if (i === chosen) return;
    const o = other.vault;
    let reason = why(o.vaultId, o.generation, declined.includes(i));
    if (reason === null) {
      const n = o.commitments.length;
      if (trial !== null && n < h.commitments.length && h.commitments.slice(0, n).every((x, j) => equal(x, o.commitments[j]))) {
        reason = `its vault text is from before sheets were added (${o.count} sheets, now ${h.count})`;
      } else if (others.includes(other)) {
        reason = otherSet;
      } else {
        reason = 'its vault text differs from the others: it may have been altered';
      }
    }
    for (const src of other.sources) out.push(`${src}: ${reason}`);
  });
  return out;
}

/** §7.2 rules 1-5: the candidates, ordered, viable first; or the error when none is. */
export function plan(shares, vaults) {
  if (!shares.length) {
    throw recoverError('NoShares', 'no share was given: bring at least the number of sheets the vault needs');
  }
  if (!vaults.length) {
    throw recoverError('NoVault', 'no copy of the vault text was given: every sheet carries one (the BG1-V block)');
  }
  const candidates = [];
  vaults.forEach(([source, v], position) => {
    const same = candidates.find((c) => c.vault.sameAs(v));
    if (same) same.sources.push(source);
    else candidates.push(new Candidate(v, source, position, shares));
  });
  candidates.sort(byOrder);
  if (candidates[0].viable()) return candidates;
  const groups = new Map(); // vault id (display) -> sources
  for (const [source, s] of shares) {
    const id = displayVaultId(s.vaultId);
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id).push(source);
  }
  for (const [source, v] of vaults) {
    const id = displayVaultId(v.vaultId);
    if (!groups.has(id)) groups.set(id, []);
    if (!groups.get(id).includes(source)) groups.get(id).push(source);
  }
  if (groups.size > 1) {
    const list = [...groups.keys()]
      .sort()
      .map((id) => `vault ${id}: ${groups.get(id).join(', ')}`)
      .join('; ');
    throw recoverError('MixedVaults', `these sheets belong to different vaults: ${list}; use sheets of one vault only`);
  }
  const best = candidates[0];
  const rejected = leftOut(shares, candidates, 0);
  const err = recoverError(
    'NotEnoughShares',
    `${best.vault.threshold} of ${best.vault.count} shares are needed to recover, ${best.usable.length} usable given`,
  );
  err.rejected = rejected;
  throw err;
}

export const DEFAULT_KDF = [524288, 3]; // what breakglass seals with: 512 MiB, 3 passes

export function aboveDefault([m, t]) {
  return m > DEFAULT_KDF[0] || m * t > DEFAULT_KDF[0] * DEFAULT_KDF[1];
}

/** §7.2 rule 6: the viable candidates to be tried, in order; only generation `wanted` when one
 * was asked for. */
function toTry(candidates, wanted) {
  return candidates
    .map((c, i) => i)
    .filter((i) => candidates[i].viable() && (wanted === null || candidates[i].vault.generation === wanted));
}

/** What a copy's Argon2id cost is, for the person asked whether to spend it (§7.2 rule 7). */
export function costQuestion(source, [m, t], anotherOpened) {
  const what = `the vault copy in ${source} asks for Argon2id with ${m >> 10} MiB of memory and ${t} passes, more than the default (${DEFAULT_KDF[0] >> 10} MiB, ${DEFAULT_KDF[1]} passes): it may take minutes and that much memory (the copy is not yet authenticated)`;
  const why = anotherOpened ? '; another generation has already opened, so this only checks whether this one opens too' : '';
  return `${what}${why}. Run it?`;
}

/**
 * §7.2 rules 6-8. `opts`: `argon2id(passphrase, salt, params)` → Promise<bytes>,
 * `passphrase()` → Promise<string|null> (asked once, only when a copy being tried needs one),
 * `approve(source, params, anotherOpened)` → Promise<bool> (asked before a cost above the
 * default is spent, as the reference reader asks at a terminal), `wanted`: the generation asked
 * for, or null for the newest that opens.
 */
export async function open(shares, candidates, opts) {
  const wanted = opts.wanted ?? null;
  const order = toTry(candidates, wanted);
  if (wanted !== null && !order.length) {
    const available = [...new Set(candidates.filter((c) => c.viable()).map((c) => c.vault.generation))].sort((a, b) => a - b);
    throw recoverError(
      'GenerationNotGiven',
      `generation ${wanted} cannot be opened from these sheets: no copy of it has enough shares (generations that can: ${available.join(', ') || 'none'})`,
    );
  }
  let firstError = null;
  const opened = [];
  const declined = [];
  const stretched = new Map();
  let asked = false;
  let passphrase = null;
  for (const i of order) {
    const c = candidates[i];
    if (opened.length) {
      const first = candidates[opened[0][0]].vault;
      if (!sameId(c.vault, first) || opened.some(([j]) => candidates[j].vault.generation === c.vault.generation)) continue;
    }
    const secret = combine(c.used().map(([, s]) => s));
    try {
      let extra = null;
      const v = c.vault;
      if (v.kdf !== null) {
        const { params, salt } = v.kdf;
        checkKdf(params, 'Recover/');
        if (aboveDefault(params) && !(await opts.approve(c.sources[0], params, opened.length > 0))) {
          throw recoverError(
            'CostDeclined',
            "the vault copy's passphrase stretching was not run (its cost was declined); no other copy opened",
            EXIT_NOT_OPENED,
          );
        }
        if (!asked) {
          asked = true;
          passphrase = await opts.passphrase();
        }
        if (!passphrase) {
          throw recoverError('PassphraseRequired', 'this vault is also protected by a passphrase: type it', EXIT_USAGE);
        }
        const key = `${params.join(',')}/${displayVaultId(salt)}`;
        if (!stretched.has(key)) stretched.set(key, await opts.argon2id(passphrase, salt, params));
        extra = stretched.get(key);
      }
      const plaintext = openEnvelope(v, vaultKey(v, secret, extra));
      if (plaintext === null) {
        if (v.kdf !== null) {
          throw recoverError(
            'WrongPassphraseOrAltered',
            'the vault did not open: the passphrase is wrong, or the vault text was altered. Check the passphrase; if it is right, try the vault text from another sheet',
            EXIT_NOT_OPENED,
          );
        }
        throw recoverError(
          'Altered',
          'the vault did not open: its text was altered, or the shares were forged to match. Try the vault text from another sheet',
          EXIT_NOT_OPENED,
        );
      }
      let contents;
      try {
        contents = parseContents(plaintext);
      } catch (e) {
        if (!(e instanceof Failure)) throw e;
        contents = e;
      }
      opened.push([i, contents]);
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      if (e.kind === 'Recover/CostDeclined' && opened.length) declined.push(i);
      else if (firstError === null) firstError = e;
    }
  }
  if (!opened.length) throw firstError;
  const [best, contents] = opened.reduce((a, b) =>
    candidates[b[0]].vault.generation > candidates[a[0]].vault.generation ? b : a,
  );
  const also = opened
    .filter(([i]) => i !== best)
    .map(([i]) => ({
      generation: candidates[i].vault.generation,
      created: candidates[i].vault.created,
      sharesUsed: candidates[i].used().map(([src]) => src),
    }))
    .sort((a, b) => a.generation - b.generation);
  if (contents instanceof Failure) {
    throw new Failure(
      contents.kind,
      `the vault opened, but this page cannot read what it holds (${contents.message}): it was made by a newer breakglass; upgrade to read it`,
      contents.code,
    );
  }
  const c = candidates[best];
  const trial = { also: also.map((o) => o.generation), declined, wanted };
  return {
    vault: c.vault,
    entries: contents,
    used: c.used().map(([src]) => src),
    indices: c.used().map(([, s]) => s.index),
    alsoOpened: also,
    rejected: leftOut(shares, candidates, best, trial),
  };
}

/** The whole recovery from gathered inputs: the result, or throws the outcome's Failure. */
export async function recover(g, opts) {
  if (!g.vaults.length && g.incomplete.length) {
    try {
      g.incomplete[0][1].decode();
    } catch (e) {
      throw new Failure(e.kind, `${e.message}: the vault's QR parts were not all read; add the missing part from any sheet, or type its lines`, e.code);
    }
  }
  const candidates = plan(g.shares, g.vaults);
  const wanted = opts.wanted ?? null;
  if (opts.given && !toTry(candidates, wanted).some((i) => candidates[i].vault.kdf !== null)) {
    // §7.2 rule 6, as the binary given --passphrase-file: a passphrase for a vault without one
    throw recoverError('PassphraseNotUsed', 'this vault has no passphrase, but one was typed: leave the passphrase field empty', EXIT_USAGE);
  }
  const given = opts.given;
  return open(g.shares, candidates, given ? { ...opts, passphrase: async () => given } : opts);
}

/** §7.2 rule 8: the explanation when more than one generation opened. */
export function generationsNotice(r) {
  if (!r.alsoOpened.length) return null;
  const one = (generation, created, used) => `generation ${generation} (made ${isoDate(created)}, opened by ${used.join(', ')})`;
  const v = r.vault;
  return `${r.alsoOpened.length + 1} generations of this vault opened: ${one(v.generation, v.created, r.used)} is the one used here; ${r.alsoOpened
    .map((o) => one(o.generation, o.created, o.sharesUsed))
    .join('; ')} opened too. A rekey makes a newer generation from the older one's sheets: if nobody remembers the rekey that made the newer one, its sheets are forged and its credentials are not yours. To open another generation instead, use its button below (breakglass and recover.py: --generation N).`;
}

export function isoDate(unixSeconds) {
  const d = new Date(unixSeconds * 1000);
  return Number.isNaN(d.getTime()) ? '(date out of range)' : d.toISOString().slice(0, 10);
}
