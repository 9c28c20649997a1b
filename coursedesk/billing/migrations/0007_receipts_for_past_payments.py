"""Every payment and refund made before receipts existed gets its receipt, numbered per creator in
the order the money moved (payments by payment time, refunds by refund time). Both are read in that
order from the database and merged as they stream, so memory stays flat however many there are."""

import heapq
import secrets

from django.db import migrations

BATCH = 1000


def issue_past_receipts(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    Refund = apps.get_model("billing", "Refund")
    Receipt = apps.get_model("billing", "Receipt")
    ReceiptCounter = apps.get_model("billing", "ReceiptCounter")
    PaymentPolicy = apps.get_model("billing", "PaymentPolicy")
    creators = (
        Payment.objects.filter(status="succeeded")
        .values_list("customer__creator_id", flat=True)
        .distinct()
        .order_by("customer__creator_id")
    )
    for creator_id in list(creators):
        if Receipt.objects.filter(creator_id=creator_id).exists():
            continue
        policy = PaymentPolicy.objects.filter(creator_id=creator_id).first()
        details = {
            "business_name": policy.business_name if policy else "",
            "business_address": policy.business_address if policy else "",
            "tax_id": policy.tax_id if policy else "",
        }
        payments = (
            Payment.objects.filter(customer__creator_id=creator_id, status="succeeded")
            .order_by("paid_at", "pk")
            .values_list("paid_at", "pk", "amount", "currency")
        )
        refunds = (
            Refund.objects.filter(payment__customer__creator_id=creator_id, status="succeeded")
            .order_by("created_at", "pk")
            .values_list("created_at", "pk", "payment_id", "amount", "currency")
        )
        moves = heapq.merge(
            ((paid_at, 0, pk, pk, None, amount, currency) for paid_at, pk, amount, currency in payments.iterator(BATCH)),
            (
                (created_at, 1, pk, payment_id, pk, amount, currency)
                for created_at, pk, payment_id, amount, currency in refunds.iterator(BATCH)
            ),
        )
        batch, number = [], 0
        for moved_at, _, _, payment_id, refund_id, amount, currency in moves:
            number += 1
            batch.append(
                Receipt(
                    creator_id=creator_id,
                    number=number,
                    kind="refund" if refund_id else "payment",
                    payment_id=payment_id,
                    refund_id=refund_id,
                    amount=amount,
                    currency=currency,
                    issued_at=moved_at,
                    access_key=secrets.token_urlsafe(24),
                    **details,
                )
            )
            if len(batch) == BATCH:
                Receipt.objects.bulk_create(batch)
                batch = []
        Receipt.objects.bulk_create(batch)
        ReceiptCounter.objects.update_or_create(creator_id=creator_id, defaults={"last_number": number})


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_receipts")]

    operations = [migrations.RunPython(issue_past_receipts, migrations.RunPython.noop)]
