// The hand-written migrations must build exactly the database that prisma/schema.prisma describes
// (Prisma's schema engine, which would diff them, cannot run here). The schema is read through
// Prisma's own parser (the DMMF); the database through information_schema of a freshly migrated
// database. Each check returns a list of differences, so a failure says what drifted, and a
// control database built from deliberately altered migrations proves every check can fail.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, Prisma } from '../src/index.ts';
import type { Hold, IdempotencyKey, IdSequence, Order, PaymentEvent, Product } from '../src/generated/prisma/client.ts';
import {
  createTestDatabase,
  dropDatabases,
  TEST_DATABASE_PREFIX,
  testDatabaseUrl,
  uniqueName,
  withServerConnection,
  type TestDatabase,
} from '@flash-sale/testing';

const schemaPath = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));
const migrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

// ---------------------------------------------------------------------------------------------
// The schema, as Prisma parses it.

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isUpdatedAt: boolean;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string | null;
  relationOnUpdate?: string | null;
  documentation?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfEnum {
  name: string;
  values: { name: string; dbName: string | null }[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string; sortOrder?: 'asc' | 'desc' | null; length?: number | null }[];
}
interface Datamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
  indexes: DmmfIndex[];
}

function loadDatamodel(): Datamodel {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: readFileSync(schemaPath, 'utf8') }))) as { datamodel: Datamodel };
  return dmmf.datamodel;
}

const tableOf = (model: DmmfModel): string => model.dbName ?? model.name;
const columnOf = (field: DmmfField): string => field.dbName ?? field.name;
const columnFields = (model: DmmfModel): DmmfField[] => model.fields.filter((field) => field.kind === 'scalar' || field.kind === 'enum');

function modelNamed(datamodel: Datamodel, name: string): DmmfModel {
  const model = datamodel.models.find((candidate) => candidate.name === name);
  if (!model) throw new Error(`the DMMF has no model ${name}`);
  return model;
}

function fieldNamed(model: DmmfModel, name: string): DmmfField {
  const field = model.fields.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`model ${model.name} has no field ${name}`);
  return field;
}

/**
 * Prisma's default constraint names (`{table}_{columns}_{suffix}`), shortened like Prisma's so
 * they fit MySQL's 64-character identifiers.
 */
function defaultConstraintName(table: string, columns: string[], suffix: 'key' | 'idx' | 'fkey'): string {
  const base = `${table}_${columns.join('_')}`;
  const room = 64 - suffix.length - 1;
  return `${base.slice(0, room)}_${suffix}`;
}

// ---------------------------------------------------------------------------------------------
// The database, as information_schema describes it.

interface DatabaseSnapshot {
  tables: { name: string; engine: string; collation: string }[];
  columns: { table: string; name: string; type: string; nullable: boolean; default: string | null; extra: string; collation: string | null }[];
  indexColumns: { table: string; index: string; nonUnique: boolean; seq: number; column: string; subPart: number | null; collation: string | null; indexType: string }[];
  foreignKeys: { table: string; name: string; referencedTable: string; deleteRule: string; updateRule: string }[];
  foreignKeyColumns: { table: string; name: string; column: string; referencedColumn: string; position: number }[];
}

const BOOKKEEPING_TABLE = '_prisma_migrations';

async function snapshot(database: string): Promise<DatabaseSnapshot> {
  return withServerConnection(async (connection) => {
    const tables = await connection.query<{ name: string; engine: string; collation: string }[]>(
      `SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
      [database],
    );
    const columns = await connection.query<
      { table: string; name: string; type: string; nullable: string; columnDefault: string | null; extra: string; collation: string | null }[]
    >(
      `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
              COLUMN_DEFAULT AS columnDefault, EXTRA AS extra, COLLATION_NAME AS collation
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      [database],
    );
    const indexColumns = await connection.query<
      { table: string; index: string; nonUnique: number | bigint; seq: number | bigint; column: string; subPart: number | bigint | null; collation: string | null; indexType: string }[]
    >(
      `SELECT TABLE_NAME AS \`table\`, INDEX_NAME AS \`index\`, NON_UNIQUE AS nonUnique, SEQ_IN_INDEX AS seq, COLUMN_NAME AS \`column\`,
              SUB_PART AS subPart, COLLATION AS collation, INDEX_TYPE AS indexType
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
      [database],
    );
    const foreignKeys = await connection.query<DatabaseSnapshot['foreignKeys']>(
      `SELECT TABLE_NAME AS \`table\`, CONSTRAINT_NAME AS name, REFERENCED_TABLE_NAME AS referencedTable,
              DELETE_RULE AS deleteRule, UPDATE_RULE AS updateRule
         FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME`,
      [database],
    );
    const foreignKeyColumns = await connection.query<
      { table: string; name: string; column: string; referencedColumn: string; position: number | bigint }[]
    >(
      `SELECT TABLE_NAME AS \`table\`, CONSTRAINT_NAME AS name, COLUMN_NAME AS \`column\`, REFERENCED_COLUMN_NAME AS referencedColumn,
              ORDINAL_POSITION AS position
         FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
      [database],
    );
    return {
      tables: tables.map((table) => ({ ...table })),
      columns: columns.map((column) => ({
        table: column.table,
        name: column.name,
        type: normalizeColumnType(column.type),
        nullable: column.nullable === 'YES',
        // MariaDB reports "no default" on a nullable column as the string 'NULL' (a literal
        // 'NULL' string default would be quoted), MySQL as SQL NULL.
        default: column.columnDefault === 'NULL' ? null : column.columnDefault,
        extra: column.extra.toLowerCase(),
        collation: column.collation,
      })),
      indexColumns: indexColumns.map((row) => ({
        ...row,
        nonUnique: Number(row.nonUnique) !== 0,
        seq: Number(row.seq),
        subPart: row.subPart === null ? null : Number(row.subPart),
      })),
      foreignKeys: foreignKeys.map((row) => ({ ...row })),
      foreignKeyColumns: foreignKeyColumns.map((row) => ({ ...row, position: Number(row.position) })),
    };
  });
}

/** Integer display widths are cosmetic (and gone in MySQL 8), except tinyint(1), Prisma's Boolean. */
function normalizeColumnType(type: string): string {
  return type
    .toLowerCase()
    .replace(/^(smallint|mediumint|int|bigint)\(\d+\)/, '$1')
    .replace(/^tinyint\((?!1\))\d+\)/, 'tinyint');
}

// ---------------------------------------------------------------------------------------------
// What each field must look like as a column.

interface ColumnShape {
  type: string;
  nullable: boolean;
  default: string | null;
  extra: string;
  collation: string | null;
}

// The collation the migrator creates the database with and every table declares. Prisma cannot
// express collations; the schema documents the columns that differ (`utf8mb4_nopad_bin` in their
// /// comment: compared exactly, trailing spaces included), and those must be exactly the ones
// that differ. MySQL 8 names that collation utf8mb4_0900_bin (set in beforeAll, by server).
const DEFAULT_COLLATION = 'utf8mb4_unicode_ci';
const EXACT_COLLATION_MARK = 'utf8mb4_nopad_bin';
let exactCollation = EXACT_COLLATION_MARK;

const integerTypes: Record<string, string> = {
  Int: 'int',
  UnsignedInt: 'int unsigned',
  SmallInt: 'smallint',
  UnsignedSmallInt: 'smallint unsigned',
  MediumInt: 'mediumint',
  UnsignedMediumInt: 'mediumint unsigned',
  TinyInt: 'tinyint',
  UnsignedTinyInt: 'tinyint unsigned',
  BigInt: 'bigint',
  UnsignedBigInt: 'bigint unsigned',
};

/** Prisma's MySQL column type for a scalar field (its native type, or the type's default one). */
function scalarColumnType(field: DmmfField): string {
  const [native, args] = field.nativeType ?? defaultNativeType(field);
  const integer = integerTypes[native];
  if (integer) return integer;
  const [first, second] = args;
  switch (native) {
    case 'VarChar':
      return `varchar(${first})`;
    case 'Char':
      return `char(${first})`;
    case 'TinyText':
    case 'Text':
    case 'MediumText':
    case 'LongText':
      return native.toLowerCase();
    case 'Decimal':
      return `decimal(${first},${second})`;
    case 'Double':
      return 'double';
    case 'Float':
      return 'float';
    case 'Date':
      return 'date';
    case 'DateTime':
    case 'Timestamp':
      return first && first !== '0' ? `${native.toLowerCase()}(${first})` : native.toLowerCase();
    case 'Boolean':
      return 'tinyint(1)';
    default:
      throw new Error(`${field.name}: no mapping for native type ${native}(${args.join(', ')}); extend scalarColumnType`);
  }
}

function defaultNativeType(field: DmmfField): [string, string[]] {
  switch (field.type) {
    case 'Int':
      return ['Int', []];
    case 'BigInt':
      return ['BigInt', []];
    case 'String':
      return ['VarChar', ['191']];
    case 'Decimal':
      return ['Decimal', ['65', '30']];
    case 'DateTime':
      return ['DateTime', ['3']];
    case 'Float':
      return ['Double', []];
    case 'Boolean':
      return ['Boolean', []];
    default:
      throw new Error(`${field.name}: no default MySQL type known for ${field.type}; extend defaultNativeType`);
  }
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function expectedColumn(field: DmmfField, enums: DmmfEnum[]): ColumnShape {
  if (field.isList) throw new Error(`${field.name}: scalar lists do not exist on MySQL`);
  let type: string;
  let enumValue = (value: string): string => value;
  if (field.kind === 'enum') {
    const definition = enums.find((candidate) => candidate.name === field.type);
    if (!definition) throw new Error(`${field.name}: unknown enum ${field.type}`);
    type = `enum(${definition.values.map((value) => sqlString(value.dbName ?? value.name)).join(',')})`;
    enumValue = (value) => definition.values.find((candidate) => candidate.name === value)?.dbName ?? value;
  } else {
    type = scalarColumnType(field);
  }

  let columnDefault: string | null = null;
  let extra = '';
  const value = field.default;
  if (value !== undefined && value !== null) {
    if (typeof value === 'object' && !Array.isArray(value) && 'name' in value) {
      const fn = value as { name: string; args: unknown[] };
      switch (fn.name) {
        case 'autoincrement':
          extra = 'auto_increment';
          break;
        case 'now': {
          const precision = /\((\d+)\)$/.exec(type)?.[1];
          columnDefault = `current_timestamp(${precision ?? ''})`;
          break;
        }
        case 'uuid':
        case 'cuid':
        case 'nanoid':
        case 'ulid':
          break; // generated by the client: no database default
        case 'dbgenerated':
          columnDefault = String(fn.args[0]).toLowerCase();
          break;
        default:
          throw new Error(`${field.name}: unknown default function ${fn.name}()`);
      }
    } else if (typeof value === 'string') {
      columnDefault = sqlString(enumValue(value));
    } else if (typeof value === 'number') {
      const scale = field.type === 'Decimal' ? Number(/,(\d+)\)$/.exec(type)?.[1] ?? 0) : undefined;
      columnDefault = scale === undefined ? String(value) : value.toFixed(scale);
    } else if (typeof value === 'boolean') {
      columnDefault = value ? '1' : '0';
    } else {
      throw new Error(`${field.name}: unsupported default ${JSON.stringify(value)}`);
    }
  }

  const textual = field.kind === 'enum' || field.type === 'String';
  return {
    type,
    nullable: !field.isRequired,
    default: columnDefault,
    extra,
    collation: textual ? (field.documentation?.includes(EXACT_COLLATION_MARK) ? exactCollation : DEFAULT_COLLATION) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// The checks. Each returns the differences, one line each.

function tableDrift(datamodel: Datamodel, db: DatabaseSnapshot): string[] {
  const drift: string[] = [];
  const expected = new Set(datamodel.models.map(tableOf));
  const actual = new Map(db.tables.map((table) => [table.name, table]));
  for (const table of expected) if (!actual.has(table)) drift.push(`${table}: table missing`);
  for (const [name, table] of actual) {
    if (name === BOOKKEEPING_TABLE) continue;
    if (!expected.has(name)) {
      drift.push(`${name}: table not in the schema`);
      continue;
    }
    if (table.engine !== 'InnoDB') drift.push(`${name}: engine ${table.engine}, expected InnoDB`);
    if (table.collation !== DEFAULT_COLLATION) drift.push(`${name}: collation ${table.collation}, expected ${DEFAULT_COLLATION}`);
  }
  return drift;
}

function columnDrift(datamodel: Datamodel, db: DatabaseSnapshot): string[] {
  const drift: string[] = [];
  for (const model of datamodel.models) {
    const table = tableOf(model);
    const actual = new Map(db.columns.filter((column) => column.table === table).map((column) => [column.name, column]));
    if (actual.size === 0) continue; // reported by tableDrift
    const expectedNames = new Set<string>();
    for (const field of columnFields(model)) {
      const name = columnOf(field);
      expectedNames.add(name);
      const column = actual.get(name);
      if (!column) {
        drift.push(`${table}.${name}: column missing (field ${model.name}.${field.name})`);
        continue;
      }
      const expected = expectedColumn(field, datamodel.enums);
      for (const key of Object.keys(expected) as (keyof ColumnShape)[]) {
        if (column[key] !== expected[key]) {
          drift.push(`${table}.${name}: ${key} is ${JSON.stringify(column[key])}, schema says ${JSON.stringify(expected[key])}`);
        }
      }
    }
    for (const name of actual.keys()) if (!expectedNames.has(name)) drift.push(`${table}.${name}: column not in the schema`);
  }
  return drift;
}

interface IndexShape {
  kind: 'primary' | 'unique' | 'index' | 'fulltext';
  /** Columns in order; a prefix length as `col(n)`, a descending part as `col DESC`. */
  columns: string[];
}

function expectedIndexes(datamodel: Datamodel): Map<string, Map<string, IndexShape>> {
  const byTable = new Map<string, Map<string, IndexShape>>();
  for (const index of datamodel.indexes) {
    const model = modelNamed(datamodel, index.model);
    const table = tableOf(model);
    const columns = index.fields.map((part) => columnOf(fieldNamed(model, part.name)));
    const described = index.fields.map(
      (part, i) => `${columns[i]}${part.length ? `(${part.length})` : ''}${part.sortOrder === 'desc' ? ' DESC' : ''}`,
    );
    let name: string;
    let kind: IndexShape['kind'];
    switch (index.type) {
      case 'id':
        name = 'PRIMARY'; // MySQL names every primary key PRIMARY, whatever the schema maps
        kind = 'primary';
        break;
      case 'unique':
        name = index.dbName ?? defaultConstraintName(table, columns, 'key');
        kind = 'unique';
        break;
      case 'normal':
        name = index.dbName ?? defaultConstraintName(table, columns, 'idx');
        kind = 'index';
        break;
      case 'fulltext':
        name = index.dbName ?? defaultConstraintName(table, columns, 'idx');
        kind = 'fulltext';
        break;
    }
    const indexes = byTable.get(table) ?? new Map<string, IndexShape>();
    if (indexes.has(name)) throw new Error(`${table}: the schema declares index ${name} twice`);
    indexes.set(name, { kind, columns: described });
    byTable.set(table, indexes);
  }
  return byTable;
}

function actualIndexes(db: DatabaseSnapshot, table: string): Map<string, IndexShape> {
  const indexes = new Map<string, IndexShape>();
  for (const row of db.indexColumns.filter((candidate) => candidate.table === table)) {
    const kind: IndexShape['kind'] =
      row.index === 'PRIMARY' ? 'primary' : row.indexType === 'FULLTEXT' ? 'fulltext' : row.nonUnique ? 'index' : 'unique';
    const index = indexes.get(row.index) ?? { kind, columns: [] };
    index.columns.push(`${row.column}${row.subPart !== null ? `(${row.subPart})` : ''}${row.collation === 'D' ? ' DESC' : ''}`);
    indexes.set(row.index, index);
  }
  return indexes;
}

function foreignKeysOf(db: DatabaseSnapshot, table: string): { name: string; columns: string[] }[] {
  return db.foreignKeys
    .filter((fk) => fk.table === table)
    .map((fk) => ({
      name: fk.name,
      columns: db.foreignKeyColumns.filter((column) => column.table === table && column.name === fk.name).map((column) => column.column),
    }));
}

function indexDrift(datamodel: Datamodel, db: DatabaseSnapshot): string[] {
  const drift: string[] = [];
  const expectedByTable = expectedIndexes(datamodel);
  for (const model of datamodel.models) {
    const table = tableOf(model);
    if (!db.tables.some((candidate) => candidate.name === table)) continue; // reported by tableDrift
    const expected = expectedByTable.get(table) ?? new Map<string, IndexShape>();
    const actual = actualIndexes(db, table);
    for (const [name, shape] of expected) {
      const found = actual.get(name);
      if (!found) drift.push(`${table}: index ${name} (${shape.kind} on ${shape.columns.join(', ')}) missing`);
      else if (JSON.stringify(found) !== JSON.stringify(shape)) {
        drift.push(`${table}: index ${name} is ${found.kind} on (${found.columns.join(', ')}), schema says ${shape.kind} on (${shape.columns.join(', ')})`);
      }
    }
    for (const [name, found] of actual) {
      if (expected.has(name)) continue;
      // InnoDB needs an index whose leading columns are a foreign key's; when none is declared it
      // creates one named after the constraint (Prisma's introspection ignores it the same way).
      const fk = foreignKeysOf(db, table).find((candidate) => candidate.name === name);
      const requiredByInnoDb =
        fk !== undefined &&
        found.kind === 'index' &&
        JSON.stringify(fk.columns) === JSON.stringify(found.columns) &&
        ![...actual.entries()].some(([other, shape]) => other !== name && fk.columns.every((column, i) => shape.columns[i] === column));
      if (!requiredByInnoDb) drift.push(`${table}: index ${name} (${found.kind} on ${found.columns.join(', ')}) not in the schema`);
    }
  }
  return drift;
}

const referentialActions: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

interface ForeignKeyShape {
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

function foreignKeyDrift(datamodel: Datamodel, db: DatabaseSnapshot): string[] {
  const expected = new Map<string, ForeignKeyShape>();
  for (const model of datamodel.models) {
    for (const field of model.fields) {
      if (field.kind !== 'object' || !field.relationFromFields?.length) continue;
      const target = modelNamed(datamodel, field.type);
      const columns = field.relationFromFields.map((name) => columnOf(fieldNamed(model, name)));
      const required = field.relationFromFields.every((name) => fieldNamed(model, name).isRequired);
      // Prisma's defaults when the schema names no action: Restrict (SetNull if optional), Cascade.
      const onDelete = field.relationOnDelete ?? (required ? 'Restrict' : 'SetNull');
      const onUpdate = field.relationOnUpdate ?? 'Cascade';
      expected.set(defaultConstraintName(tableOf(model), columns, 'fkey'), {
        columns,
        referencedTable: tableOf(target),
        referencedColumns: (field.relationToFields ?? []).map((name) => columnOf(fieldNamed(target, name))),
        onDelete: referentialActions[onDelete] ?? `unknown action ${onDelete}`,
        onUpdate: referentialActions[onUpdate] ?? `unknown action ${onUpdate}`,
      });
    }
  }
  const actual = new Map<string, ForeignKeyShape>();
  for (const fk of db.foreignKeys) {
    const columns = db.foreignKeyColumns.filter((column) => column.table === fk.table && column.name === fk.name);
    actual.set(fk.name, {
      columns: columns.map((column) => column.column),
      referencedTable: fk.referencedTable,
      referencedColumns: columns.map((column) => column.referencedColumn),
      onDelete: fk.deleteRule,
      onUpdate: fk.updateRule,
    });
  }
  const drift: string[] = [];
  const describe = (fk: ForeignKeyShape): string =>
    `(${fk.columns.join(', ')}) -> ${fk.referencedTable}(${fk.referencedColumns.join(', ')}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
  for (const [name, shape] of expected) {
    const found = actual.get(name);
    if (!found) drift.push(`foreign key ${name} ${describe(shape)} missing`);
    else if (describe(found) !== describe(shape)) drift.push(`foreign key ${name} is ${describe(found)}, schema says ${describe(shape)}`);
  }
  for (const [name, found] of actual) if (!expected.has(name)) drift.push(`foreign key ${name} ${describe(found)} not in the schema`);
  return drift;
}

// ---------------------------------------------------------------------------------------------

const datamodel = loadDatamodel();
let testDb: TestDatabase;
let migrated: DatabaseSnapshot;
const extraDatabases: string[] = [];
const tempDirs: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const [server] = await testDb.db.$queryRaw<{ version: string }[]>`SELECT VERSION() AS version`;
  if (!server!.version.includes('MariaDB')) exactCollation = 'utf8mb4_0900_bin';
  migrated = await snapshot(testDb.name);
});

afterAll(async () => {
  await testDb?.drop();
  await dropDatabases(extraDatabases);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('the migrated database matches prisma/schema.prisma', () => {
  it('parses the schema into the models the checks rely on', () => {
    expect(datamodel.models.map((model) => model.name).sort()).toEqual(['Hold', 'IdSequence', 'IdempotencyKey', 'Order', 'PaymentEvent', 'Product']);
    expect(datamodel.indexes.length).toBeGreaterThan(datamodel.models.length);
  });

  it('has one table per model and no other table besides _prisma_migrations', () => {
    expect(migrated.tables.map((table) => table.name)).toContain(BOOKKEEPING_TABLE);
    expect(tableDrift(datamodel, migrated)).toEqual([]);
  });

  it('has a column for every scalar and enum field, of the right type, nullability, default and collation, and no other column', () => {
    expect(columnDrift(datamodel, migrated)).toEqual([]);
  });

  it('has exactly the indexes and unique constraints the schema declares, with their names and column order', () => {
    expect(indexDrift(datamodel, migrated)).toEqual([]);
  });

  it('has a foreign key, named the Prisma way, with the declared actions, for every relation', () => {
    expect(foreignKeyDrift(datamodel, migrated)).toEqual([]);
  });

  it('reports every kind of drift (control: migrations altered on purpose)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-test-drift-'));
    tempDirs.push(dir);
    cpSync(migrationsDir, dir, { recursive: true });
    const file = join(dir, '20261121000000_init', 'migration.sql');
    let sql = readFileSync(file, 'utf8');
    const alter = (from: string, to: string): void => {
      if (!sql.includes(from)) throw new Error(`control migration: ${JSON.stringify(from)} not found in the init migration`);
      sql = sql.replace(from, to);
    };
    alter('`code` VARCHAR(64) NOT NULL', '`code` VARCHAR(65) NOT NULL'); // type
    alter('`outcome_detail` VARCHAR(255) NULL', '`outcome_detail` VARCHAR(255) NOT NULL'); // nullability
    alter('`stock_version` INTEGER NOT NULL DEFAULT 0', '`stock_version` INTEGER NOT NULL DEFAULT 1'); // default
    alter("ENUM('success', 'failure')", "ENUM('success', 'failure', 'refund')"); // enum values
    alter('`idempotency_key` VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,\n    `order_id`', '`idempotency_key` VARCHAR(255) NOT NULL,\n    `order_id`'); // collation
    alter('`processed_at` DATETIME(3) NULL,', '`processed_at` DATETIME(3) NULL,\n    `stray` INTEGER NULL,'); // extra column
    alter('INDEX `holds_status_expires_at_idx`(`status`, `expires_at`)', 'INDEX `holds_status_expires_at_idx`(`expires_at`, `status`)'); // order
    alter('INDEX `holds_product_id_status_idx`(`product_id`, `status`),', ''); // InnoDB then adds holds_product_id_fkey
    alter('INDEX `orders_product_id_status_idx`(`product_id`, `status`),', 'INDEX `orders_product_id_status_idx`(`product_id`, `status`),\n    INDEX `orders_qty_idx`(`qty`),\n    INDEX `orders_hold_id_fkey`(`hold_id`),'); // extra indexes, one posing as InnoDB's
    alter('`expires_at` DATETIME(3) NOT NULL,\n    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),', '`expires_at` DATETIME(3) NOT NULL,\n    `created_at` DATETIME(3) NOT NULL,'); // now() default (holds)
    alter('`id` INTEGER NOT NULL AUTO_INCREMENT,\n    `scope`', '`id` INTEGER NOT NULL,\n    `scope`'); // autoincrement
    alter('    `response_body` TEXT NULL,\n', ''); // missing column
    alter('`orders_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE RESTRICT', '`orders_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE CASCADE'); // action
    sql += '\nCREATE TABLE `stray_table` (`id` INTEGER NOT NULL, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n';
    sql += 'ALTER TABLE `payment_events` ADD CONSTRAINT `payment_events_order_id_fkey` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`);\n';
    sql += 'ALTER TABLE `idempotency_keys` ENGINE = MyISAM;\n'; // engine
    writeFileSync(file, sql);
    // The foreign key a later migration dropped and added again: missing once that one leaves it out.
    const holdIdsFile = join(dir, '20261203000000_hold_ids_in_blocks', 'migration.sql');
    const readdedForeignKey = 'ALTER TABLE `orders` ADD CONSTRAINT `orders_hold_id_fkey` FOREIGN KEY (`hold_id`) REFERENCES `holds`(`id`) ON DELETE RESTRICT ON UPDATE RESTRICT;';
    if (!readFileSync(holdIdsFile, 'utf8').includes(readdedForeignKey)) throw new Error('control migration: the hold ids migration no longer adds orders_hold_id_fkey back');
    writeFileSync(holdIdsFile, readFileSync(holdIdsFile, 'utf8').replace(readdedForeignKey, '')); // missing foreign key
    // The later migration that makes the keys exact would mend the collation altered above: it is
    // left out for payment_events.
    const exactKeysFile = join(dir, '20261203100000_exact_keys_wider_payload_and_amount', 'migration.sql');
    const exactPaymentKeys = "SET @change = CONCAT('ALTER TABLE `payment_events` MODIFY `idempotency_key` VARCHAR(255) COLLATE ', @exact_keys, ' NOT NULL');";
    if (!readFileSync(exactKeysFile, 'utf8').includes(exactPaymentKeys)) throw new Error('control migration: the exact keys migration no longer changes payment_events.idempotency_key');
    writeFileSync(exactKeysFile, readFileSync(exactKeysFile, 'utf8').replace(exactPaymentKeys, "SET @change = 'DO 0';"));

    const name = uniqueName(TEST_DATABASE_PREFIX);
    extraDatabases.push(name);
    await applyMigrations({ databaseUrl: testDatabaseUrl(name), migrationsDir: dir });
    const drifted = await snapshot(name);

    expect(tableDrift(datamodel, drifted).sort()).toEqual(['idempotency_keys: engine MyISAM, expected InnoDB', 'stray_table: table not in the schema']);
    // Without holds_product_id_status_idx, InnoDB had to index the foreign key itself; that is allowed.
    expect(actualIndexes(drifted, 'holds').get('holds_product_id_fkey')).toEqual({ kind: 'index', columns: ['product_id'] });
    expect(columnDrift(datamodel, drifted).sort()).toEqual(
      [
        'products.code: type is "varchar(65)", schema says "varchar(64)"',
        'products.stock_version: default is "1", schema says "0"',
        'payment_events.outcome_detail: nullable is false, schema says true',
        `payment_events.result: type is "enum('success','failure','refund')", schema says "enum('success','failure')"`,
        `payment_events.idempotency_key: collation is "utf8mb4_unicode_ci", schema says "${exactCollation}"`,
        'payment_events.stray: column not in the schema',
        'holds.created_at: default is null, schema says "current_timestamp(3)"',
        'idempotency_keys.id: extra is "", schema says "auto_increment"',
        'idempotency_keys.response_body: column missing (field IdempotencyKey.responseBody)',
      ].sort(),
    );
    expect(indexDrift(datamodel, drifted).sort()).toEqual(
      [
        'holds: index holds_status_expires_at_idx is index on (expires_at, status), schema says index on (status, expires_at)',
        'holds: index holds_product_id_status_idx (index on product_id, status) missing',
        'orders: index orders_qty_idx (index on qty) not in the schema',
        'orders: index orders_hold_id_fkey (index on hold_id) not in the schema',
      ].sort(),
    );
    expect(foreignKeyDrift(datamodel, drifted).sort()).toEqual(
      [
        'foreign key orders_product_id_fkey is (product_id) -> products(id) ON DELETE CASCADE ON UPDATE RESTRICT, schema says (product_id) -> products(id) ON DELETE RESTRICT ON UPDATE RESTRICT',
        'foreign key payment_events_order_id_fkey (order_id) -> orders(id) ON DELETE RESTRICT ON UPDATE RESTRICT not in the schema',
        'foreign key orders_hold_id_fkey (hold_id) -> holds(id) ON DELETE RESTRICT ON UPDATE RESTRICT missing',
      ].sort(),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip through the generated client: what is written comes back exactly.

describe('every model round-trips through the generated client', () => {
  const at = (iso: string): Date => new Date(iso);
  const repeat = (unit: string, count: number): string => unit.repeat(count);

  /** Values that survive a round trip unchanged compare equal: Decimal at the column's scale, Date to the ms. */
  function comparable(model: DmmfModel, row: object): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      if (value instanceof Date) out[key] = value.toISOString();
      else if (Prisma.Decimal.isDecimal(value)) {
        const scale = Number(fieldNamed(model, key).nativeType?.[1][1] ?? 30);
        out[key] = value.toFixed(scale);
      } else out[key] = value;
    }
    return out;
  }

  /** Every column field is set, and set to something other than its literal default. */
  function expectFullySet(model: DmmfModel, row: object): void {
    expect(Object.keys(row).sort()).toEqual(columnFields(model).map((field) => field.name).sort());
    for (const field of columnFields(model)) {
      const value = (row as Record<string, unknown>)[field.name];
      expect(value, `${model.name}.${field.name}`).not.toBeUndefined();
      if (field.default !== undefined && typeof field.default !== 'object') expect(value, `${model.name}.${field.name}`).not.toBe(field.default);
    }
  }

  function expectSame(modelName: string, written: object, read: object): void {
    const model = modelNamed(datamodel, modelName);
    expectFullySet(model, written);
    expect(Object.keys(read).sort(), `${modelName} read back`).toEqual(columnFields(model).map((field) => field.name).sort());
    expect(comparable(model, read)).toEqual(comparable(model, written));
  }

  it('stores and returns every field of every model, nullable ones once null and once set', async () => {
    const db = testDb.db;

    const product: Product = {
      id: 4242,
      code: `rt-${repeat('ü', 61)}`, // exactly 64 characters
      name: `${repeat('🛒', 5)}${repeat('n', 250)}`, // exactly 255 characters, 4-byte ones included
      price: new Prisma.Decimal('12345678.91'), // every digit decimal(10,2) has
      totalStock: 2_147_483_647,
      availableStock: 2_147_483_646,
      stockVersion: 41,
      createdAt: at('2001-02-03T04:05:06.007Z'),
      updatedAt: at('2099-12-31T23:59:59.999Z'), // beyond TIMESTAMP's range
    };
    const holdA: Hold = {
      id: 5151,
      productId: product.id,
      qty: 3,
      status: 'released',
      expiresAt: at('2030-06-07T08:09:10.011Z'),
      createdAt: at('2030-06-07T08:04:10.001Z'),
      updatedAt: at('2030-06-07T08:09:10.999Z'),
    };
    const holdB: Hold = { ...holdA, id: 5152, qty: 1, status: 'used', expiresAt: at('2031-01-01T00:00:00.001Z') };
    const orderWithNulls: Order = {
      id: 6161,
      holdId: holdA.id,
      productId: product.id,
      qty: 3,
      amount: new Prisma.Decimal('99999999.99'),
      status: 'paid',
      cancelReason: null,
      paymentDueAt: at('2030-06-07T08:19:10.123Z'),
      createdAt: at('2030-06-07T08:05:10.456Z'),
      updatedAt: at('2030-06-07T08:06:10.789Z'),
    };
    const orderWithValues: Order = {
      ...orderWithNulls,
      id: 6162,
      holdId: holdB.id,
      qty: 1,
      amount: new Prisma.Decimal('0.01'),
      status: 'cancelled',
      cancelReason: 'payment_timeout',
    };
    const eventWithNulls: PaymentEvent = {
      id: 8181,
      idempotencyKey: `Key-${repeat('x', 251)}`, // 255 characters
      orderId: 999_999, // no foreign key: the order need not exist
      result: 'failure',
      bodyHash: repeat('ab', 32),
      payload: JSON.stringify({ note: 'quotes " \' \\ and\nnewlines, ünïcödé, 🧾', filler: repeat('z', 20_000) }),
      outcome: null,
      outcomeDetail: null,
      receivedAt: at('2030-06-07T08:07:00.001Z'),
      processedAt: null,
    };
    const eventWithValues: PaymentEvent = {
      ...eventWithNulls,
      id: 8182,
      idempotencyKey: `key-${repeat('x', 251)}`, // differs only in case: the key is case-sensitive
      result: 'success',
      outcome: 'ignored_duplicate_state',
      outcomeDetail: repeat('d', 255),
      processedAt: at('2030-06-07T08:07:00.002Z'),
    };
    const keyWithNulls: IdempotencyKey = {
      id: 9191,
      scope: repeat('s', 64),
      key: 'Idem-Key-1',
      requestHash: repeat('0f', 32),
      status: 'completed',
      lockToken: '0f8fad5b-d9cb-469f-a165-70867728950e',
      lockedUntil: at('2030-06-07T08:10:00.100Z'),
      responseStatus: null,
      responseBody: null,
      createdAt: at('2030-06-07T08:00:00.200Z'),
      expiresAt: at('2030-06-08T08:00:00.300Z'),
    };
    const keyWithValues: IdempotencyKey = {
      ...keyWithNulls,
      id: 9192,
      key: 'idem-key-1', // same scope, differs only in case: the key is case-sensitive
      responseStatus: -2_147_483_648,
      responseBody: '{"error":{"code":"conflict","message":"ü 🧾"}}',
    };

    await db.product.create({ data: product });
    for (const hold of [holdA, holdB]) await db.hold.create({ data: hold });
    for (const order of [orderWithNulls, orderWithValues]) await db.order.create({ data: order });
    for (const event of [eventWithNulls, eventWithValues]) await db.paymentEvent.create({ data: event });
    for (const key of [keyWithNulls, keyWithValues]) await db.idempotencyKey.create({ data: key });
    const sequence: IdSequence = { name: repeat('q', 64), nextId: 2_147_483_647 };
    await db.idSequence.create({ data: sequence });

    expectSame('Product', product, await db.product.findUniqueOrThrow({ where: { id: product.id } }));
    for (const hold of [holdA, holdB]) expectSame('Hold', hold, await db.hold.findUniqueOrThrow({ where: { id: hold.id } }));
    for (const order of [orderWithNulls, orderWithValues]) expectSame('Order', order, await db.order.findUniqueOrThrow({ where: { id: order.id } }));
    for (const event of [eventWithNulls, eventWithValues]) {
      expectSame('PaymentEvent', event, await db.paymentEvent.findUniqueOrThrow({ where: { id: event.id } }));
    }
    for (const key of [keyWithNulls, keyWithValues]) expectSame('IdempotencyKey', key, await db.idempotencyKey.findUniqueOrThrow({ where: { id: key.id } }));
    expectSame('IdSequence', sequence, await db.idSequence.findUniqueOrThrow({ where: { name: sequence.name } }));
    // The migration's own row: hold ids start at 1 in a database that had no hold.
    expectSame('IdSequence', { name: 'holds', nextId: 1 }, await db.idSequence.findUniqueOrThrow({ where: { name: 'holds' } }));

    // Every model is covered, and the database holds exactly these rows.
    expect(
      await Promise.all([db.product.count(), db.hold.count(), db.order.count(), db.paymentEvent.count(), db.idempotencyKey.count(), db.idSequence.count()]),
    ).toEqual([1, 2, 2, 2, 2, 2]);
    expect(datamodel.models).toHaveLength(6);
  });
});
