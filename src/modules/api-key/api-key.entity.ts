import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from "typeorm";

/** An API key. Only its SHA-256 hash is stored; the key itself is shown once, when it is made. */
@Entity("api_key")
export class ApiKey {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column("uuid")
  organizationId: string;

  @Column("uuid")
  userId: string;

  /** The first characters of the key, enough to tell keys apart in a list. */
  @Column("text")
  prefix: string;

  @Column("bytea")
  keyHash: Buffer;

  @Column("timestamptz")
  expiresAt: Date;

  @Column("timestamptz", { nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
