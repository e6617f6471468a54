from django.shortcuts import render

from .models import ShopSettings


def home(request):
    return render(request, "home.html", {"shop": ShopSettings.load()})
