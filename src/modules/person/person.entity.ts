import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

export enum PersonType {
  USER = "USER",
  CONTACT = "CONTACT",
}
registerEnumType(PersonType, {
  name: "PersonType",
  description: "USER people can sign in and own deals; CONTACT people cannot.",
  valuesConfig: {
    USER: { description: "A user of dealgraph: can hold API keys, be a workspace member and own deals. Has an email, unique among the organization's users." },
    CONTACT: { description: "Someone deals are about, such as a seeker, a provider or a customer's contact; cannot sign in or own deals." },
  },
});

export enum OrganizationRole {
  ADMIN = "admin",
  MEMBER = "member",
}
registerEnumType(OrganizationRole, {
  name: "OrganizationRole",
  description: "What a USER may do in their organization.",
  valuesConfig: {
    ADMIN: { description: "May also manage the organization's webhook endpoints. The user the organization was made with is one." },
    MEMBER: { description: "Works with deals; cannot manage webhook endpoints." },
  },
});

@ObjectType({ description: "A person: a user of dealgraph or a contact." })
@Entity("person")
export class Person {
  @PrimaryColumn("uuid")
  organizationId: string;

  @Field(() => ID, { description: "The person's id." })
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Field(() => PersonType, { description: "USER (can sign in and own deals) or CONTACT." })
  @Column("text")
  type: PersonType;

  @Field(() => String, { nullable: true, description: "Given name; null when not known." })
  @Column("text", { nullable: true })
  firstName: string | null;

  @Field(() => String, { nullable: true, description: "Family name; null when not known." })
  @Column("text", { nullable: true })
  lastName: string | null;

  @Field(() => String, { nullable: true, description: "Display name, when it differs from first and last name." })
  @Column("text", { nullable: true })
  name: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Email address, in lower case. Every USER has one, unique among the organization's users; null for a contact without one.",
  })
  @Column("text", { nullable: true })
  email: string | null;

  @Column("uuid", { nullable: true })
  companyId: string | null;

  @Column("uuid", { nullable: true })
  referredById: string | null;

  @Column("uuid", { nullable: true })
  defaultWorkspaceId: string | null;

  @Field(() => OrganizationRole, { nullable: true, description: "A USER's role in the organization; null for a CONTACT." })
  @Column("text", { nullable: true })
  role: OrganizationRole | null;

  @Field({ description: "When the person was added." })
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @Field({ description: "When the person was last changed." })
  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}

/** The name people read: the display name, else first and last name, else the email. */
export function displayName(person: Pick<Person, "name" | "firstName" | "lastName" | "email">): string {
  const display = person.name?.trim();
  if (display) return display;
  const full = [person.firstName, person.lastName].map((part) => part?.trim()).filter(Boolean).join(" ");
  return full || person.email || "";
}
