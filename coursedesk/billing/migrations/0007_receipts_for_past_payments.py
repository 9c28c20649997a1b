"""Every payment and refund made before receipts existed gets its receipt, numbered per creator in
the order the money moved (payments by payment time, refunds by refund time)."""

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
        moves = [
            (paid_at, 0, pk, pk, None, amount, currency)
            for pk, paid_at, amount, currency in Payment.objects.filter(
                customer__creator_id=creator_id, status="succeeded"
            ).values_list("pk", "paid_at", "amount", "currency")
        ] + [
            (created_at, 1, pk, payment_id, pk, amount, currency)
            for pk, payment_id, created_at, amount, currency in Refund.objects.filter(
                payment__customer__creator_id=creator_id, status="succeeded"
            ).values_list("pk", "payment_id", "created_at", "amount", "currency")
        ]
        moves.sort(key=lambda move: move[:3])
        receipts = [
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
            for number, (moved_at, _, _, payment_id, refund_id, amount, currency) in enumerate(moves, start=1)
        ]
        Receipt.objects.bulk_create(receipts, batch_size=BATCH)
        ReceiptCounter.objects.update_or_create(creator_id=creator_id, defaults={"last_number": len(moves)})


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_receipts")]

    operations = [migrations.RunPython(issue_past_receipts, migrations.RunPython.noop)]
