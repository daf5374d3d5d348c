"""The catalog every subscription shares: regions, sizes and gallery images (read only)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from api import schemas
from api.v1.common import PageParams, errors, id_path, page_out
from api.v1.representations import image_out, region_out, size_out
from vms.models import ImageVersion, Region, RoleSize
from vms.selectors import gallery_images

router = Router(tags=["Catalog"])


def _images():
    return gallery_images().prefetch_related(Prefetch("versions", queryset=ImageVersion.objects.all()))


@router.get("/regions", response={200: schemas.RegionPage, **errors()}, url_name="regions")
def region_list(request: HttpRequest, page: PageParams):
    """List the regions a cloud service, affinity group or storage account can be in."""
    return page_out(Region.objects.all(), page, region_out)


@router.get("/sizes", response={200: schemas.SizePage, **errors()}, url_name="sizes")
def size_list(request: HttpRequest, page: PageParams):
    """List the VM sizes: cores, memory and data disks."""
    return page_out(RoleSize.objects.all(), page, size_out)


@router.get("/images", response={200: schemas.ImagePage, **errors()}, url_name="images")
def image_list(request: HttpRequest, page: PageParams):
    """List the gallery's platform images with their versions, newest first."""
    return page_out(_images(), page, image_out)


@router.get("/images/{image_id}", response={200: schemas.Image, **errors()}, url_name="image")
def image_detail(request: HttpRequest, image_id: int = id_path()):
    """Show one gallery image with its versions."""
    return image_out(get_object_or_404(_images(), pk=image_id))
